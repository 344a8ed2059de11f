"""drf-spectacular extensions for the project's own serializer fields."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension


class PublicIdFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "ecommerce.api.ids.PublicIdField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return self.target.openapi_schema()


class ShopJWTScheme(SimpleJWTScheme):
    """The project's JWT authentication documents itself as SimpleJWT's (jwtAuth)."""

    target_class = "accounts.authentication.JWTAuthentication"
