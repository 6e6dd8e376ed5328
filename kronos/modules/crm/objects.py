"""The standard CRM objects, described for the record engine. Their behaviour is the engine's; only the
fields are declared here."""

from __future__ import annotations

from kronos.kit.records.fields import FieldSpec, FieldType, Option
from kronos.kit.records.objects import ObjectDefinition
from kronos.modules.crm.models import Company, Contact


def _options(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(value, label) for value, label in pairs)


INDUSTRIES = _options(
    ("software", "Software"),
    ("financial_services", "Financial services"),
    ("healthcare", "Healthcare"),
    ("manufacturing", "Manufacturing"),
    ("retail", "Retail"),
    ("education", "Education"),
    ("media", "Media"),
    ("real_estate", "Real estate"),
    ("consulting", "Consulting"),
    ("nonprofit", "Non-profit"),
    ("government", "Government"),
    ("other", "Other"),
)
COMPANY_SIZES = _options(
    ("1-10", "1-10"),
    ("11-50", "11-50"),
    ("51-200", "51-200"),
    ("201-1000", "201-1,000"),
    ("1001-5000", "1,001-5,000"),
    ("5001+", "5,001+"),
)


def _text(name: str, label: str, position: int, **kwargs: object) -> FieldSpec:
    return FieldSpec(name, label, FieldType.TEXT, column=name, position=position, **kwargs)  # type: ignore[arg-type]


COMPANIES = ObjectDefinition(
    name="companies",
    singular="company",
    label="Company",
    label_plural="Companies",
    model=Company,
    title_field="name",
    fields=(
        _text("name", "Name", 1, required=True),
        _text(
            "domain",
            "Domain",
            2,
            unique=True,
            lowercase=True,
            help_text="The company's web domain, e.g. example.com; unique in the workspace.",
        ),
        FieldSpec(
            "industry", "Industry", FieldType.SELECT, column="industry", options=INDUSTRIES, position=3
        ),
        FieldSpec("size", "Size", FieldType.SELECT, column="size", options=COMPANY_SIZES, position=4),
        _text("address_street", "Street", 5),
        _text("address_city", "City", 6),
        _text("address_region", "Region", 7),
        _text("address_postal_code", "Postal code", 8),
        _text("address_country", "Country", 9),
        FieldSpec("owner_id", "Owner", FieldType.USER, column="owner_id", position=10),
    ),
)

CONTACTS = ObjectDefinition(
    name="contacts",
    singular="contact",
    label="Contact",
    label_plural="Contacts",
    model=Contact,
    title_field="last_name",
    fields=(
        _text("first_name", "First name", 1),
        _text("last_name", "Last name", 2, required=True),
        FieldSpec(
            "emails", "E-mails", FieldType.EMAIL, column="emails", many=True, lowercase=True, position=3
        ),
        FieldSpec("phones", "Phones", FieldType.PHONE, column="phones", many=True, position=4),
        _text("job_title", "Job title", 5),
        FieldSpec(
            "company_id",
            "Company",
            FieldType.RELATION,
            column="company_id",
            settings={"target": "companies"},
            position=6,
        ),
        FieldSpec("owner_id", "Owner", FieldType.USER, column="owner_id", position=7),
    ),
)

STANDARD_OBJECTS: list[ObjectDefinition] = [COMPANIES, CONTACTS]
