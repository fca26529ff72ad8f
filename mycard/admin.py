"""The back office's view of the reminder e-mails: who said yes, and what went out. Read-only: the choice
is the customer's (on /my/ or by the e-mail's unsubscribe link), and a sent e-mail cannot be unsent."""

from django.contrib import admin

from mycard.models import ReminderConsent, SentReminder


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReminderConsent)
class ReminderConsentAdmin(ReadOnly):
    list_display = ["customer", "enabled", "language", "changed_at"]
    list_filter = ["enabled", "language"]
    list_select_related = ["customer"]
    search_fields = ["customer__name", "customer__email"]


@admin.register(SentReminder)
class SentReminderAdmin(ReadOnly):
    list_display = ["sent_at", "kind", "event", "email", "account"]
    list_filter = ["kind"]
    list_select_related = ["account__customer"]
    search_fields = ["email", "account__cards__number"]
    date_hierarchy = "sent_at"
