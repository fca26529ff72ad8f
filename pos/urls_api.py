from django.urls import path

from pos import apis, giftcard_apis

urlpatterns = [
    path("cards/<str:number>/", apis.CardDetailApi.as_view(), name="api-card"),
    path("cards/<str:number>/activate/", apis.CardActivateApi.as_view(), name="api-card-activate"),
    path("cards/<str:number>/replace/", apis.CardReplaceApi.as_view(), name="api-card-replace"),
    path("customers/search/", apis.CustomerSearchApi.as_view(), name="api-customer-search"),
    path("categories/", apis.CategoryListApi.as_view(), name="api-categories"),
    path("products/<str:code>/", apis.ProductLookupApi.as_view(), name="api-product"),
    path("checkout/quote/", apis.QuoteApi.as_view(), name="api-quote"),
    path("checkout/", apis.CheckoutApi.as_view(), name="api-checkout"),
    path("receipts/<int:receipt_id>/", apis.ReceiptDetailApi.as_view(), name="api-receipt"),
    path("receipts/<int:receipt_id>/refund/", apis.RefundApi.as_view(), name="api-refund"),
    path("gift-cards/<str:number>/", giftcard_apis.GiftCardDetailApi.as_view(), name="api-gift-card"),
    path("gift-cards/<str:number>/load/", giftcard_apis.GiftCardLoadApi.as_view(), name="api-gift-card-load"),
]
