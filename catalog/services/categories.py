"""Writes to the category tree: create, rename, move, reorder, delete, and the
implicit root category a product write may name.

Hand-written rather than django-treebeard or django-mptt: both keep their
own encoding of the tree (treebeard's materialised path of fixed-width
base-36 steps that also fixes sibling order; mptt's nested-set bounds that a
single insert renumbers), which would have to be kept in step with the
contract's ``position`` and slug ``path``. What the API needs is "this node
and everything below, in one query" and a cycle check; a path of slugs
(``catalog.models.Category``) gives both in a few lines, on PostgreSQL and
SQLite alike.

Every write invalidates the cached tree; writes that change which products a
category filter matches (a move, a slug change) also drop the cached product
lists, and a slug change the cached pages of the products in that category.
"""

from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import Max, Value
from django.db.models.functions import Concat, Substr
from django.utils.text import slugify

from catalog.cache import category_cache_invalidate, product_cache_invalidate
from catalog.errors import CategoryInUse, CategoryInvalid, CategorySlugTaken
from catalog.models import Category, Product

CATEGORY_MAX_DEPTH = 8
SLUG_MAX_LENGTH = cast(int, Category._meta.get_field("slug").max_length)
NAME_MAX_LENGTH = Category._meta.get_field("name").max_length
_SLUG_ATTEMPTS = 5

UPDATABLE_FIELDS = frozenset({"name", "slug", "parent", "position"})


def category_name_from_slug(slug: str) -> str:
    """``home-garden`` -> ``Home Garden``: the name of a category a product write created."""
    words = slug.replace("_", "-").split("-")
    return " ".join(word.capitalize() for word in words if word)[:NAME_MAX_LENGTH] or slug


def category_ensure(*, slug: str) -> Category:
    """The category with this slug (case-insensitive), created at the root if there is none.

    So the design's ``"category": "electronics"`` works on an empty shop. Safe
    under concurrent writes naming the same new slug: one insert wins, the
    others read it.
    """
    slug = slug.lower()
    found = Category.objects.filter(slug=slug).first()
    if found is not None:
        return found
    with transaction.atomic():
        category, created = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": category_name_from_slug(slug),
                "path": f"/{slug}/",
                "position": _next_position(parent=None),
            },
        )
        if created:
            category_cache_invalidate()
    return category


def category_create(
    *, name: str, slug: str | None = None, parent: str | None = None, position: int | None = None
) -> Category:
    """A new category under ``parent`` (a slug; None: a root), last among its siblings
    unless ``position`` says otherwise.

    Without ``slug`` one is generated from ``name`` and made unique. Raises
    CategorySlugTaken (409) for a taken explicit slug, CategoryInvalid (400)
    for an unknown parent or a tree deeper than CATEGORY_MAX_DEPTH.
    """
    with transaction.atomic():
        parent_node = _parent_for(parent)
        base_path = parent_node.path if parent_node else "/"
        if base_path.count("/") > CATEGORY_MAX_DEPTH:
            raise CategoryInvalid(
                details={"parent": [f"Categories nest at most {CATEGORY_MAX_DEPTH} levels deep."]}
            )
        category = Category(
            name=name,
            parent=parent_node,
            position=position if position is not None else _next_position(parent=parent_node),
        )
        explicit = (slug or "").lower()
        for _attempt in range(_SLUG_ATTEMPTS):
            category.slug = explicit or _free_slug(name)
            category.path = f"{base_path}{category.slug}/"
            try:
                # A savepoint: a lost race leaves the outer transaction usable.
                with transaction.atomic():
                    category.save(force_insert=True)
                break
            except IntegrityError:
                if not Category.objects.filter(slug=category.slug).exists():
                    raise
                if explicit:
                    raise CategorySlugTaken() from None
        else:
            raise CategorySlugTaken()
        category_cache_invalidate()
    return category


def category_update(*, category: Category, data: dict[str, Any]) -> Category:
    """Rename (``name``, ``slug``), move (``parent``: a slug, or None for the root) or
    reorder (``position``).

    A move under the category itself or one of its descendants is refused
    (CategoryInvalid, 400, on ``parent``), as is a move that would nest the
    tree deeper than CATEGORY_MAX_DEPTH. A taken slug is CategorySlugTaken (409).
    Tree writes are serialised: every category row is locked (``FOR NO KEY
    UPDATE``, which product writes referencing a category do not wait for), so
    two crossed moves cannot make a cycle between them.
    """
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"Not updatable: {sorted(unknown)}")
    with transaction.atomic():
        _lock_tree()
        category = Category.objects.get(pk=category.pk)
        old_path, old_slug = category.path, category.slug
        if "name" in data:
            category.name = data["name"]
        if "position" in data:
            category.position = data["position"]
        new_parent = category.parent
        if "parent" in data:
            new_parent = _parent_for(data["parent"])
            if new_parent is not None and new_parent.path.startswith(old_path):
                raise CategoryInvalid(
                    details={"parent": ["A category cannot move under itself or its descendants."]}
                )
        if "slug" in data:
            category.slug = data["slug"].lower()
            if Category.objects.filter(slug=category.slug).exclude(pk=category.pk).exists():
                raise CategorySlugTaken()
        category.parent = new_parent
        new_path = f"{new_parent.path if new_parent else '/'}{category.slug}/"
        if new_path != old_path:
            _check_depth(old_path, new_path)
        category.path = new_path
        category.save()
        if new_path != old_path:
            # The subtree follows: every descendant's path gets the new prefix.
            Category.objects.filter(path__startswith=old_path).exclude(pk=category.pk).update(
                path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
            )
            moved = []
            if category.slug != old_slug:
                # Product pages show their category's slug.
                moved = list(Product.objects.filter(category=category).values_list("pk", flat=True))
            # Lists filtered by any category of the subtree now match other products.
            product_cache_invalidate(product_ids=moved)
        category_cache_invalidate()
    return category


def category_delete(*, category: Category) -> None:
    """Delete a category that has no products (in the catalog or removed) and no children.

    Raises CategoryInUse (409) otherwise: removed products still point to it,
    and would come back to the catalog without one.
    """
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        children = Category.objects.filter(parent=category).count()
        products = Product.objects.filter(category=category).count()
        if children or products:
            raise CategoryInUse(
                details={
                    "category": [
                        f"It has {children} subcategories and {products} products "
                        "(removed ones included): move them first."
                    ]
                }
            )
        category.delete()
        category_cache_invalidate()
        product_cache_invalidate(product_ids=[])


def _parent_for(slug: str | None) -> Category | None:
    if slug is None:
        return None
    parent = Category.objects.filter(slug=slug.lower()).first()
    if parent is None:
        raise CategoryInvalid(details={"parent": [f"No category with slug {slug!r}."]})
    return parent


def _check_depth(old_path: str, new_path: str) -> None:
    deepest = max(
        (path.count("/") for path in _subtree_paths(old_path)), default=old_path.count("/")
    )
    depth = deepest - old_path.count("/") + new_path.count("/") - 1
    if depth > CATEGORY_MAX_DEPTH:
        raise CategoryInvalid(
            details={"parent": [f"Categories nest at most {CATEGORY_MAX_DEPTH} levels deep."]}
        )


def _subtree_paths(path: str) -> list[str]:
    return list(Category.objects.filter(path__startswith=path).values_list("path", flat=True))


def _lock_tree() -> None:
    list(
        Category.objects.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True)
    )


def _next_position(*, parent: Category | None) -> int:
    last = Category.objects.filter(parent=parent).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _free_slug(name: str) -> str:
    base = slugify(name)[: SLUG_MAX_LENGTH - 8].strip("-") or "category"
    taken = set(Category.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"
