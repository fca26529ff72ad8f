"""OpenAPI descriptions of the POS credentials, for drf-spectacular."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TerminalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "pos.authentication.TerminalTokenAuthentication"
    name = "terminalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` — the terminal's own token (`manage.py terminal_create`).",
        }


class CashierSessionScheme(OpenApiAuthenticationExtension):
    target_class = "pos.authentication.CashierSessionAuthentication"
    name = "cashierSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid", "description": "The cashier screen's session."}
