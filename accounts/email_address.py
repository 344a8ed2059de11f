"""The one e-mail address normaliser: every way an address enters the shop goes through it.

Register, profile updates (``PATCH``/``PUT /v1/users/:id``), login (API and
admin form), password reset and its per-address cap, the admin's user forms
(``User.clean``) and ``createsuperuser`` (``UserManager.create_user``) all call
``email_normalize``; stored addresses are its output. Two spellings of one
mailbox therefore meet on one account, and the cap counts one address.

What it does, in order:

1. Strip surrounding white space, then NFKC: compatibility characters become
   their plain forms (a fullwidth s, U+FF53, is ``s``; the long s, U+017F, is
   ``s``; the ligature U+FB01 is ``fi``).
2. Refuse invisible code points anywhere: format and control characters
   (zero-width space, soft hyphen, joiners, bidi controls, BOM), white space,
   unassigned and private-use code points, and the other default-ignorable
   ones. The IDNA mapping would silently delete some of them, which is how
   ``bob@sh\\u200bop.test`` was a second account whose mail went to
   ``bob@shop.test``.
3. Case-fold (``str.casefold``, then NFKC again so the result is stable).
   The local part must then be ASCII: stored addresses are, and a local part
   like ``i̇nes`` (what ``İnes`` folds to) is refused with a 400 rather than
   failing the model's validation (it was a 500).
4. The domain becomes its IDNA 2008 ASCII form (UTS 46 mapping, ``idna``
   package): ``bücher.example`` is stored as ``xn--bcher-kva.example``. Each
   label of the domain must be written in one script (characters common to
   all scripts, such as digits and the hyphen, aside; Han may mix with
   Hiragana and Katakana, Bopomofo or Hangul, as UTS 39 allows): ``shop.test``
   spelt with a Cyrillic dze (U+0455) for its ``s`` is refused.
5. Django's ``validate_email`` checks the result's syntax, and it must fit
   the column (254 characters, RFC 5321's limit).

Hand-written rather than the ``email-validator`` library: that library keeps
the local part's case (it is case-sensitive by RFC; a shop treats ``Bob@``
and ``bob@`` as one customer), normalises to NFC rather than NFKC (fullwidth
letters survive), has no mixed-script rule, and brings dnspython for
deliverability checks this never makes. ``idna`` does the IDNA work and
``confusable_homoglyphs`` knows each character's script.
"""

import unicodedata

import idna
from confusable_homoglyphs import categories
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_LENGTH = 254
INVALID_MESSAGE = "Enter a valid email address."

# Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties.txt), besides
# what the category check below catches already (Cf, Cc, Zs, ...).
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Control, format, surrogate, private use, unassigned; every kind of space.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
# Characters of every script (digits, the hyphen) or of the one beside them
# (combining marks): they do not make a label mixed.
_ANY_SCRIPT = frozenset({"COMMON", "INHERITED"})
# Scripts written together in one word (UTS 39, "highly restrictive").
_SCRIPT_COMBINATIONS = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "BOPOMOFO"}),
    frozenset({"HAN", "HANGUL"}),
)


def email_normalize(value: str) -> str:
    """The stored form of ``value``; ValidationError (code ``invalid``) if there is none."""
    text = unicodedata.normalize("NFKC", (value or "").strip())
    if any(_invisible(char) for char in text):
        raise _invalid("Spaces and invisible characters are not allowed in an email address.")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise _invalid()
    local = unicodedata.normalize("NFKC", local.casefold())
    if not local.isascii():
        raise _invalid("The part before @ must be in plain letters, digits and punctuation.")
    domain = _domain_normalize(domain)
    address = f"{local}@{domain}"
    if len(address) > MAX_LENGTH:
        raise _invalid(f"An email address has at most {MAX_LENGTH} characters.")
    validate_email(address)
    return address


def email_normalize_or_none(value: str) -> str | None:
    """For lookups: an address that cannot be normalised belongs to no account."""
    try:
        return email_normalize(value)
    except ValidationError:
        return None


def _domain_normalize(domain: str) -> str:
    domain = unicodedata.normalize("NFKC", domain.casefold())
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
        unicode_domain = idna.decode(ascii_domain)
    except (idna.IDNAError, UnicodeError) as exc:
        raise _invalid() from exc
    for label in unicode_domain.split("."):
        if _mixed_script(label):
            raise _invalid("Each part of the domain must be written in one script.")
    return ascii_domain


def _invisible(char: str) -> bool:
    if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _DEFAULT_IGNORABLE)


def _mixed_script(label: str) -> bool:
    scripts = {categories.alias(char) for char in label} - _ANY_SCRIPT
    if len(scripts) <= 1:
        return False
    return not any(scripts <= allowed for allowed in _SCRIPT_COMBINATIONS)


def _invalid(message: str = INVALID_MESSAGE) -> ValidationError:
    return ValidationError(message, code="invalid")
