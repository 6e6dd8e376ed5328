"""The standard CRM objects, described for the record engine. Their behaviour is the engine's; only the
fields are declared here."""

from __future__ import annotations

from kronos.kit.records.fields import FieldSpec, FieldType, Option
from kronos.kit.records.objects import ObjectDefinition
from kronos.modules.crm import rules
from kronos.modules.crm.models import Activity, Company, Contact, Deal, Lead, Pipeline, Stage


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
            "emails",
            "E-mails",
            FieldType.EMAIL,
            column="emails",
            many=True,
            lowercase=True,
            unique=True,
            position=3,
            help_text="Unique in the workspace: no two live contacts share an address.",
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


def _relation(name: str, label: str, target: str, position: int, **kwargs: object) -> FieldSpec:
    return FieldSpec(
        name,
        label,
        FieldType.RELATION,
        column=name,
        settings={"target": target},
        position=position,
        **kwargs,  # type: ignore[arg-type]
    )


def _owner(position: int, name: str = "owner_id", label: str = "Owner") -> FieldSpec:
    return FieldSpec(name, label, FieldType.USER, column=name, position=position)


LEAD_STATUSES = _options(
    ("new", "New"),
    ("contacted", "Contacted"),
    ("qualified", "Qualified"),
    ("unqualified", "Unqualified"),
    ("converted", "Converted"),
)
OUTCOMES = _options(("won", "Won"), ("lost", "Lost"))
STAGE_TYPES = _options(("open", "Open"), ("won", "Won"), ("lost", "Lost"))
ACTIVITY_KINDS = _options(
    ("note", "Note"), ("call", "Call"), ("meeting", "Meeting"), ("email", "E-mail"), ("task", "Task")
)

LEADS = ObjectDefinition(
    name="leads",
    singular="lead",
    label="Lead",
    label_plural="Leads",
    model=Lead,
    title_field="last_name",
    before_write=(rules.lead_rules,),
    fields=(
        _text("first_name", "First name", 1),
        _text("last_name", "Last name", 2, required=True),
        _text("company_name", "Company name", 3),
        FieldSpec("email", "E-mail", FieldType.EMAIL, column="email", lowercase=True, position=4),
        FieldSpec("phone", "Phone", FieldType.PHONE, column="phone", position=5),
        _text("title", "Title", 6),
        FieldSpec(
            "status",
            "Status",
            FieldType.SELECT,
            column="status",
            options=LEAD_STATUSES,
            required=True,
            default="new",
            position=7,
            help_text="Options are configurable per workspace; new and converted always exist.",
            # Only the convert flow sets "converted" (rules.lead_rules refuses it otherwise): forms hide it.
            settings={
                "configurable_options": True,
                "required_options": ["new", "converted"],
                "flow_only_options": ["converted"],
            },
        ),
        _text("source", "Source", 8),
        FieldSpec("score", "Score", FieldType.NUMBER, column="score", position=9),
        _owner(10),
        FieldSpec(
            "contact_ids",
            "Contacts",
            FieldType.RELATION,
            column="contact_ids",
            many=True,
            settings={"target": "contacts"},
            position=11,
        ),
        # Set by the conversion (POST /api/v1/leads/{id}/convert), never written directly.
        FieldSpec(
            "converted_at", "Converted", FieldType.DATETIME, column="converted_at", system=True, position=12
        ),
        _relation("converted_contact_id", "Converted contact", "contacts", 13, system=True),
        _relation("converted_company_id", "Converted company", "companies", 14, system=True),
        _relation("converted_deal_id", "Converted deal", "deals", 15, system=True),
    ),
)

PIPELINES = ObjectDefinition(
    name="pipelines",
    singular="pipeline",
    label="Pipeline",
    label_plural="Pipelines",
    model=Pipeline,
    default_sort="position,created_at",
    before_write=(rules.pipeline_rules,),
    fields=(
        _text("name", "Name", 1, required=True),
        FieldSpec("is_default", "Default", FieldType.BOOLEAN, column="is_default", default=False, position=2),
        FieldSpec("position", "Position", FieldType.NUMBER, column="position", position=3),
    ),
)

# Stages are an object of their own (/api/v1/stages), filtered by pipeline: ?pipeline_id[eq]=...&sort=position
STAGES = ObjectDefinition(
    name="stages",
    singular="stage",
    label="Stage",
    label_plural="Stages",
    model=Stage,
    default_sort="position",
    before_write=(rules.stage_rules,),
    fields=(
        _relation("pipeline_id", "Pipeline", "pipelines", 1, required=True),
        _text("name", "Name", 2, required=True),
        FieldSpec(
            "position", "Position", FieldType.NUMBER, column="position", required=True, default=0, position=3
        ),
        FieldSpec(
            "probability",
            "Win probability",
            FieldType.PERCENT,
            column="probability",
            settings={"min": 0, "max": 100},
            position=4,
        ),
        FieldSpec(
            "type",
            "Type",
            FieldType.SELECT,
            column="type",
            options=STAGE_TYPES,
            required=True,
            default="open",
            position=5,
        ),
    ),
)

DEALS = ObjectDefinition(
    name="deals",
    singular="deal",
    label="Deal",
    label_plural="Deals",
    model=Deal,
    before_write=(rules.deal_rules,),
    fields=(
        _text("name", "Name", 1, required=True),
        FieldSpec(
            "amount",
            "Amount",
            FieldType.CURRENCY,
            column="amount_minor",
            settings={"currency_column": "currency"},
            position=2,
            # Shown under the field in the web app, so it is words; the API's shape is in the schema itself.
            help_text="What the deal is worth, in one currency. Lists filter and sort on the amount.",
        ),
        FieldSpec("close_date", "Close date", FieldType.DATE, column="close_date", position=3),
        _relation("pipeline_id", "Pipeline", "pipelines", 4),
        _relation("stage_id", "Stage", "stages", 5),
        _owner(6),
        _relation("company_id", "Company", "companies", 7),
        FieldSpec(
            "contact_ids",
            "Contacts",
            FieldType.RELATION,
            column="contact_ids",
            many=True,
            settings={"target": "contacts"},
            position=8,
        ),
        # Set when the deal enters a won or lost stage, cleared when it leaves it.
        FieldSpec("closed_at", "Closed", FieldType.DATETIME, column="closed_at", system=True, position=9),
        FieldSpec(
            "outcome",
            "Outcome",
            FieldType.SELECT,
            column="outcome",
            options=OUTCOMES,
            system=True,
            position=10,
        ),
    ),
)

ACTIVITIES = ObjectDefinition(
    name="activities",
    singular="activity",
    label="Activity",
    label_plural="Activities",
    model=Activity,
    title_field="subject",
    owner_field="assignee_id",
    fields=(
        FieldSpec(
            "kind", "Kind", FieldType.SELECT, column="kind", options=ACTIVITY_KINDS, required=True, position=1
        ),
        _text("subject", "Subject", 2),
        FieldSpec("body", "Body", FieldType.LONG_TEXT, column="body", position=3),
        FieldSpec("due_at", "Due", FieldType.DATETIME, column="due_at", position=4),
        FieldSpec("done", "Done", FieldType.BOOLEAN, column="done", default=False, position=5),
        _owner(6, "assignee_id", "Assignee"),
        FieldSpec(
            "links",
            "Linked records",
            FieldType.RECORD_LINK,
            column="links",
            many=True,
            position=7,
            help_text="The deals, contacts and companies it is about; it shows on their timelines.",
        ),
    ),
)

STANDARD_OBJECTS: list[ObjectDefinition] = [COMPANIES, CONTACTS, LEADS, PIPELINES, STAGES, DEALS, ACTIVITIES]
