"""POST /api/v1/auth/token (a token for a username and password, and a code where the account
has a second factor); GET /api/v1/auth/tokens and DELETE /api/v1/auth/tokens/<id>: the caller's
tokens, and for a hospital's ADMIN (the matrix's `staff` `update`, as for resetting a password)
those of their hospital's accounts."""

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from knox.models import AuthToken
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, Scope, permission_scope
from hms.api.auth import TokenRefused, token_id, token_issue, tokens_end
from hms.api.base import ApiView
from hms.api.errors import problem
from hms.api.serializers import InputSerializer
from hms.core.exceptions import NotFound
from hms.security.log import Kind, security_record
from hms.tenancy.context import hospital_context


class TokenRequestSerializer(InputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="The authenticator's code, or a recovery code.",
    )


class TokenIssuedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`; shown only once.")
    expires_at = serializers.DateTimeField()


class TokenSerializer(serializers.Serializer):
    id = serializers.CharField(source="api_id", help_text="The token's name for revoking it (not the token).")
    username = serializers.CharField(source="user.username")
    created = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(source="expiry", allow_null=True)


class TokenIssue(ApiView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenRequestSerializer,
        responses={201: TokenIssuedSerializer},
        auth=[],
        summary="A token for a username and password (and second-factor code)",
        description="Failed requests count toward the sign-in lockout and are in the security log.",
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            token, expires_at = token_issue(
                request=request._request,
                username=data["username"],
                password=data["password"],
                otp=data.get("otp", ""),
            )
        except TokenRefused as refused:
            response = problem(
                refused.status,
                refused.message,
                errors={refused.field: [refused.message]} if refused.field else None,
            )
            if refused.status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        return Response(TokenIssuedSerializer({"token": token, "expires_at": expires_at}).data, status=201)


def _manages_accounts(user: User) -> bool:
    """Whether `user` manages their hospital's accounts (resets passwords: `staff` `update`, ALL)."""
    if user.hospital is None:
        return False
    with hospital_context(user.hospital):
        return permission_scope(user=user, resource=Resource.STAFF, action=Action.UPDATE) == Scope.ALL


def _visible_tokens(user: User) -> QuerySet[AuthToken]:
    tokens = AuthToken.objects.filter(expiry__gt=timezone.now()).select_related("user")
    if _manages_accounts(user):
        return tokens.filter(user__hospital_id=user.hospital_id)
    return tokens.filter(user_id=user.pk)


class TokenList(ApiView):
    pagination_class = None

    @extend_schema(
        operation_id="auth_tokens_list",
        responses={200: TokenSerializer(many=True)},
        parameters=[OpenApiParameter("username", str, description="Only this account's tokens (ADMIN).")],
        summary="Live tokens: your own; for a hospital ADMIN, every account of the hospital",
    )
    def get(self, request: Request) -> Response:
        tokens = _visible_tokens(self.acting_user).order_by("-created", "digest")
        username = request.query_params.get("username")
        if username:
            tokens = tokens.filter(user__username=username)
        listed = list(tokens[:500])
        for token in listed:
            token.api_id = token_id(token)
        return Response(TokenSerializer(listed, many=True).data)


class TokenRevoke(ApiView):
    @extend_schema(
        operation_id="auth_tokens_destroy",
        responses={204: None},
        summary="Revoke a token: your own, or (hospital ADMIN) one of the hospital's accounts",
    )
    def delete(self, request: Request, token_id: str) -> Response:
        acting_user = self.acting_user
        wanted = token_id.lower()
        if len(wanted) != 16 or any(c not in "0123456789abcdef" for c in wanted):
            raise NotFound("No such token.")
        token = _visible_tokens(acting_user).filter(digest__startswith=wanted).first()
        if token is None:
            raise NotFound("No such token.")
        owner = token.user
        tokens_end(AuthToken.objects.filter(digest=token.digest))
        if owner.pk != acting_user.pk:
            security_record(
                Kind.ADMIN_ACTION,
                user=owner,
                actor=acting_user,
                request=request._request,
                detail={"action": "api_token_revoke"},
            )
        return Response(status=204)


__all__ = ["TokenIssue", "TokenList", "TokenRevoke"]
