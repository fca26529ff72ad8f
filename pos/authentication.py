"""API credentials: a terminal's token, or a cashier's session on the cashier screen."""

from rest_framework import authentication, exceptions

from pos.actors import PosActor, terminal_for_token


class TerminalTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <token>`; the terminal must not be revoked."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Token <token>'.")
        terminal = terminal_for_token(header[1])
        if terminal is None:
            raise exceptions.AuthenticationFailed("This terminal token is not valid or was revoked.")
        return (None, PosActor(store=terminal.store, terminal=terminal))

    def authenticate_header(self, request):
        return self.keyword


class CashierSessionAuthentication(authentication.SessionAuthentication):
    """The cashier screen: a logged-in cashier acts for their own store (CSRF enforced)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        cashier = getattr(user, "cashier", None)
        if cashier is None:
            raise exceptions.PermissionDenied("Only cashiers of a store can use the till.")
        return (user, PosActor(store=cashier.store, cashier=user))


class IsPosActor:
    """Every POS action needs a terminal or a cashier."""

    def has_permission(self, request, view):
        return isinstance(request.auth, PosActor)

    def has_object_permission(self, request, view, obj):
        return True
