"""The product page's media inline and the product list's thumbnail column.

Every change goes through ``catalog.media.services`` (the inline formset's
``save`` calls them instead of saving rows itself), so an upload from the
admin is checked, stored and rendered exactly as one through the API.
"""

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html

from catalog.media import services
from catalog.media.errors import ImageInvalid, ImageTypeUnsupported
from catalog.media.images import EncodedImage, image_original_prepare
from catalog.media.models import POSITION_MAX, ProductMedia
from catalog.media.storage import media_url

THUMBNAIL_PX = 80


def media_thumbnail_url(media: ProductMedia) -> str | None:
    """The smallest JPEG or PNG rendition's URL; None until the renditions exist."""
    candidates = [r for r in media.renditions if r["format"] != "webp"]
    smallest = min(candidates, key=lambda rendition: rendition["width"], default=None)
    return media_url(smallest["file"]) if smallest else None


def media_thumbnail_html(media: ProductMedia | None) -> str:
    if media is None:
        return "-"
    url = media_thumbnail_url(media)
    if url is None:
        return media.get_status_display()
    return format_html(
        '<img src="{}" alt="{}" style="max-width:{}px;max-height:{}px">',
        url,
        media.alt,
        THUMBNAIL_PX,
        THUMBNAIL_PX,
    )


def product_thumbnail_html(product: Any) -> str:
    """The product list's column: its first media (prefetched, see ProductAdmin.get_queryset)."""
    media = next(iter(product.media.all()), None)
    return media_thumbnail_html(media)


class ProductMediaInlineForm(forms.ModelForm):
    upload = forms.FileField(
        required=False,
        label="Image",
        help_text="JPEG, PNG or WebP.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    class Meta:
        model = ProductMedia
        fields = ("alt", "position")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: EncodedImage | None = None
        self.fields["position"].required = False
        self.fields["position"].max_value = POSITION_MAX  # type: ignore[attr-defined]
        if self.instance._state.adding:
            self.fields["position"].initial = None
            self.fields["position"].help_text = "Empty: after the others."
        else:
            # An existing image is replaced by deleting it and adding another.
            self.fields["upload"].widget = forms.HiddenInput()

    def clean(self) -> dict[str, Any]:
        cleaned = cast(dict[str, Any], super().clean())
        if not self.instance._state.adding:
            return cleaned
        upload = cleaned.get("upload")
        if upload is None:
            if self.has_changed():
                self.add_error("upload", "Choose an image file.")
            return cleaned
        from django.conf import settings

        if upload.size > settings.MEDIA_MAX_UPLOAD_BYTES:
            self.add_error("upload", f"At most {settings.MEDIA_MAX_UPLOAD_BYTES} bytes.")
            return cleaned
        try:
            self.prepared = image_original_prepare(upload.read())
        except (ImageTypeUnsupported, ImageInvalid) as exc:
            self.add_error("upload", exc.message)
        return cleaned


class ProductMediaFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        adding = any(
            form.instance._state.adding and form.cleaned_data.get("upload")
            for form in self.forms
            if hasattr(form, "cleaned_data")
        )
        if adding and getattr(self.instance, "deleted_at", None) is not None:
            raise ValidationError("A product removed from the catalog takes no new images.")

    def save(self, commit: bool = True) -> list[ProductMedia]:
        # The admin's change message reads these three lists.
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in self.initial_forms:
            media = form.instance
            if self.can_delete and self._should_delete_form(form):  # type: ignore[attr-defined]
                services.media_delete(media=media)
                self.deleted_objects.append(media)
            elif form.has_changed():
                services.media_update(
                    media=media,
                    alt=form.cleaned_data.get("alt", media.alt),
                    position=form.cleaned_data.get("position"),
                )
                self.changed_objects.append((media, form.changed_data))
        for form in self.extra_forms:
            if form.prepared is None or self._should_delete_form(form):  # type: ignore[attr-defined]
                continue
            media = services.media_create(
                product=self.instance,
                prepared=form.prepared,  # type: ignore[attr-defined]
                alt=form.cleaned_data.get("alt") or "",
                position=form.cleaned_data.get("position"),
            )
            self.new_objects.append(media)
        return [*self.new_objects, *(media for media, _ in self.changed_objects)]


class ProductMediaInline(admin.TabularInline):
    model = ProductMedia
    form = ProductMediaInlineForm
    formset = ProductMediaFormSet
    extra = 3
    fields = ("thumbnail", "upload", "alt", "position", "status", "dimensions")
    readonly_fields = ("thumbnail", "status", "dimensions")
    ordering = ("position", "created_at", "id")
    verbose_name = "image"
    verbose_name_plural = "images (uploads; renditions are made in the background)"

    @admin.display(description="Thumbnail")
    def thumbnail(self, obj: ProductMedia) -> str:
        return media_thumbnail_html(obj if obj.pk and not obj._state.adding else None)

    @admin.display(description="Size")
    def dimensions(self, obj: ProductMedia) -> str:
        if obj._state.adding:
            return "-"
        return f"{obj.width} x {obj.height}"
