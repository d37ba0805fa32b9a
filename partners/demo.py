"""Realistic, deterministic demo data for the quick start and load tests (`seed_demo`).

The same `partners` and `seed` give the same names, external ids and figures; dates are
relative to today. Everything is drawn from one NumPy `default_rng(seed)` in arrays and
written in bulk: PostgreSQL COPY when the driver is psycopg2, bulk_create elsewhere (the
SQLite quick start).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from itertools import islice

import numpy as np
from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone

from partners.models import (
    Certification,
    Contact,
    ContactRole,
    Industry,
    LifecycleStage,
    Partner,
    PartnerCertification,
    PartnerType,
    PerformanceRecord,
    Technology,
    Tier,
)
from partners.services import month_start, partners_rollup_performance

DEMO_PREFIX = "DEMO-"
MONTHS = 24
MANAGER_LOGIN = ("manager", "manager-demo")
PARTNER_LOGIN = ("partner", "partner-demo")
BATCH = 100_000


# Vocabulary ---------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    """Whitespace-separated words; "_" stands for a space inside one."""
    return [word.replace("_", " ") for word in text.split()]


INDUSTRIES = {
    "finance": "Finance", "healthcare": "Healthcare", "retail": "Retail",
    "manufacturing": "Manufacturing", "education": "Education", "public-sector": "Public sector",
    "energy": "Energy", "telecom": "Telecom", "media": "Media", "logistics": "Logistics",
}  # fmt: skip
TECHNOLOGIES = {
    "aws": "AWS", "azure": "Azure", "gcp": "Google Cloud", "security": "Security",
    "networking": "Networking", "data-analytics": "Data & analytics", "ai-ml": "AI / ML",
    "crm": "CRM", "erp": "ERP", "collaboration": "Collaboration",
}  # fmt: skip
CERTIFICATIONS = {  # slug: (name, validity_days)
    "cloud-architect": ("Cloud Architect", 730),
    "security-specialist": ("Security Specialist", 365),
    "data-engineer": ("Data Engineer", 730),
    "sales-foundations": ("Sales Foundations", 365),
    "support-pro": ("Support Professional", 365),
    "migration-expert": ("Migration Expert", 730),
}
TYPE_WEIGHTS = {
    "reseller": 24, "var": 18, "msp": 17, "referral": 10, "si": 11, "isv": 9, "distributor": 5,
    "alliance": 6,
}  # fmt: skip
# By partner type: (employee scale, revenue per employee, typical tech_savviness, program).
TYPE_PROFILE = {
    "reseller": (1.0, 220e3, 2.6, "Solution Provider"),
    "var": (1.3, 200e3, 3.2, "Solution Provider"),
    "msp": (0.9, 130e3, 3.8, "Managed Services Provider"),
    "referral": (0.35, 150e3, 2.2, "Referral Program"),
    "alliance": (6.0, 250e3, 3.5, "Strategic Alliances"),
    "distributor": (7.0, 650e3, 2.8, "Distribution"),
    "isv": (1.4, 170e3, 4.2, "Technology Partner"),
    "si": (3.0, 160e3, 3.6, "Services & Integration"),
}
REGION_WEIGHTS = {"na": 36, "latam": 10, "emea": 34, "apac": 20}
LIFECYCLE_WEIGHTS = {"applicant": 5, "onboarding": 7, "active": 68, "dormant": 12, "churned": 8}
STAGE = {stage: index for index, stage in enumerate(LIFECYCLE_WEIGHTS)}
TIERS = ["registered", "silver", "gold", "platinum"]
# Established partners are ranked by size; these quantiles cut them into no tier and tiers.
TIER_QUANTILES = [0.10, 0.55, 0.80, 0.94]
# Share of a partner's revenue that goes through the vendor, by tier (no tier first).
VENDOR_SHARE = np.array([0.008, 0.02, 0.035, 0.05, 0.09])
SEASONALITY = np.array([0.85, 0.9, 1.15, 0.95, 1.0, 1.15, 0.85, 0.8, 1.1, 1.0, 1.1, 1.35])
COUNTRY_TABLE = """
    region country weight languages culture legal_forms dial_code
    na     US  82  en     anglo     Inc.|LLC|Corp.       1
    na     CA  18  en|fr  anglo     Inc.|Ltd.            1
    latam  BR  35  pt     luso      Ltda.|S.A.           55
    latam  MX  30  es     hispanic  S.A._de_C.V.         52
    latam  AR  10  es     hispanic  S.A.|S.R.L.          54
    latam  CL   9  es     hispanic  SpA                  56
    latam  CO  10  es     hispanic  S.A.S.               57
    latam  PE   6  es     hispanic  S.A.C.               51
    emea   GB  20  en     anglo     Ltd|plc              44
    emea   DE  18  de     german    GmbH|AG              49
    emea   FR  13  fr     french    SAS|SA               33
    emea   NL   7  nl     dutch     B.V.                 31
    emea   ES   6  es     hispanic  S.L.|S.A.            34
    emea   IT   6  it     italian   S.r.l.|S.p.A.        39
    emea   SE   4  sv     nordic    AB                   46
    emea   PL   4  pl     polish    Sp._z_o.o.           48
    emea   CH   4  de|fr  german    AG|GmbH              41
    emea   IE   3  en     anglo     Ltd                  353
    emea   BE   3  nl|fr  dutch     NV|SRL               32
    emea   DK   2  da     nordic    A/S|ApS              45
    emea   NO   2  nb     nordic    AS                   47
    emea   FI   2  fi     nordic    Oy                   358
    emea   AT   2  de     german    GmbH                 43
    emea   AE   2  ar|en  arabic    LLC|FZ-LLC           971
    emea   SA   1  ar|en  arabic    LLC                  966
    emea   ZA   2  en     anglo     (Pty)_Ltd            27
    apac   AU  22  en     anglo     Pty_Ltd              61
    apac   JP  20  ja     japanese  K.K.                 81
    apac   IN  20  en|hi  indian    Pvt._Ltd.            91
    apac   SG  10  en     chinese   Pte._Ltd.            65
    apac   KR   8  ko     korean    Co.,_Ltd.            82
    apac   NZ   5  en     anglo     Ltd                  64
    apac   MY   5  ms|en  sea       Sdn._Bhd.            60
    apac   ID   4  id     sea       PT                   62
    apac   PH   3  en     sea       Inc.                 63
    apac   HK   3  zh|en  chinese   Limited              852
"""
# {region: {country: (weight, languages, culture, legal forms, dial code)}}
COUNTRIES: dict[str, dict[str, tuple]] = {}
for _line in COUNTRY_TABLE.strip().splitlines()[1:]:
    _region, _country, _weight, _languages, _culture, _legal, _dial = _words(_line)
    COUNTRIES.setdefault(_region, {})[_country] = (
        int(_weight), _languages.split("|"), _culture, _legal.split("|"), _dial
    )  # fmt: skip
NAMES = {  # culture: (first names, last names)
    "anglo": (
        "James Olivia Michael Emma Daniel Sophia David Emily Christopher Hannah Matthew Grace "
        "Andrew Chloe Ryan Megan Thomas Laura Jessica Benjamin",
        "Smith Johnson Williams Brown Taylor Anderson Thompson Walker Wright Mitchell Carter "
        "Turner Parker Collins Edwards Stewart Murphy Cooper Bennett Hughes",
    ),
    "hispanic": (
        "José María Carlos Lucía Javier Sofía Miguel Valentina Alejandro Camila Diego Isabel "
        "Fernando Gabriela Luis Paula Andrés Daniela",
        "García Martínez Rodríguez López Hernández González Pérez Sánchez Ramírez Torres Flores "
        "Rivera Gómez Díaz Morales Vargas Castro Ortega",
    ),
    "luso": (
        "João Ana Pedro Mariana Lucas Beatriz Gabriel Juliana Rafael Larissa Thiago Fernanda "
        "Bruno Letícia",
        "Silva Santos Oliveira Souza Lima Pereira Costa Ferreira Almeida Carvalho Ribeiro Gomes "
        "Martins Barbosa",
    ),
    "german": (
        "Lukas Anna Maximilian Lena Felix Julia Jonas Katharina Leon Sarah Paul Miriam Tobias "
        "Sophie Stefan Hannah",
        "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
        "Klein Wolf Schröder Hartmann",
    ),
    "french": (
        "Louis Camille Hugo Léa Thomas Manon Nicolas Chloé Julien Inès Antoine Claire Mathieu "
        "Élise Pierre Amélie",
        "Martin Bernard Dubois Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre "
        "Garnier Faure Rousseau Fontaine",
    ),
    "dutch": (
        "Daan Emma Sem Julia Lars Sanne Bram Fleur Thijs Lotte Ruben Anouk Joris Eva",
        "de_Jong Jansen de_Vries van_den_Berg Bakker Visser Smit Meijer de_Boer Mulder Bos "
        "Peeters Maes Hendriks",
    ),
    "italian": (
        "Marco Giulia Luca Francesca Alessandro Chiara Matteo Sara Andrea Elena Davide Martina",
        "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Conti Giordano",
    ),
    "nordic": (
        "Erik Astrid Lars Ingrid Johan Freja Anders Sofia Mikael Maja Henrik Elin Nils Sigrid "
        "Oskar Linnea",
        "Andersson Johansson Karlsson Nilsson Larsen Hansen Nielsen Jensen Berg Lindqvist "
        "Virtanen Korhonen Eriksson Dahl",
    ),
    "polish": (
        "Jakub Anna Piotr Katarzyna Tomasz Magdalena Michał Agnieszka Krzysztof Zofia Paweł Joanna",
        "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański "
        "Woźniak",
    ),
    "arabic": (
        "Omar Layla Ahmed Fatima Khalid Noura Yusuf Mariam Hassan Aisha Tariq Salma",
        "Al-Mansouri Haddad Khoury Al-Farsi Nasser Saleh Al-Rashid Aziz Hamdan Mansour",
    ),
    "japanese": (
        "Haruto Yui Sota Aoi Yuto Hina Ren Sakura Takumi Mei Kenji Yuki Hiroshi Naoko",
        "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada",
    ),
    "korean": (
        "Min-jun Seo-yeon Ji-ho Ha-eun Do-yun Ji-woo Hyun-woo Soo-ah Jae-won Eun-ji",
        "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim",
    ),
    "indian": (
        "Aarav Priya Rohan Ananya Arjun Kavya Vikram Neha Rahul Pooja Sanjay Divya Amit Sneha "
        "Karthik Meera",
        "Sharma Patel Reddy Iyer Gupta Singh Nair Kumar Mehta Rao Joshi Menon Desai Pillai",
    ),
    "chinese": (
        "Wei Mei Jun Xin Hao Yan Lei Ling Jie Hui Ming Fang",
        "Wang Li Zhang Liu Chen Yang Huang Tan Lim Ng Goh Wong",
    ),
    "sea": (
        "Ahmad Siti Budi Dewi Nurul Rizal Putri Hafiz Maria Angelo Kristine Arif",
        "Santos Reyes Cruz Bautista Wijaya Santoso Hidayat Rahman Ibrahim Abdullah Mendoza Tan",
    ),
}
NAME_PREFIXES = _words(
    "Apex Arbor Atlas Aurora Azure Beacon Birch Blackstone Bluefin Boulder Brightline Cardinal "
    "Cascade Cedar Citadel Clearwater Cobalt Compass Copper Coral Crescent Crest Crystal Cypress "
    "Delta Drift Eagle Ember Emerald Everest Evergreen Falcon Fjord Flint Frontier Galena Garnet "
    "Glacier Golden Granite Greystone Harbor Hawthorn Highland Horizon Indigo Iron Ivory Jade "
    "Juniper Keystone Kestrel Lakeside Lantern Laurel Liberty Lighthouse Lodestar Magnolia Maple "
    "Marble Mariner Meridian Mesa Midland Monarch Northstar Northwind Oakridge Obsidian Onyx "
    "Orchid Orion Osprey Pacific Palisade Paragon Peregrine Pinnacle Pioneer Polaris Prairie "
    "Quartz Radiant Raven Redwood Ridgeline Riverstone Sable Saffron Sapphire Sequoia Sierra "
    "Silverline Skyline Solstice Sparrow Spruce Stonebridge Summit Sterling Tamarack Terra "
    "Thistle Timber Topaz Trident Tundra Union Valley Vanguard Vertex Willow Windward Zenith"
)
NAME_STEMS = _words(
    "Data Net Logic Byte Stack Core Wave Link Grid Signal Bridge Point Path Scale Shift Sphere "
    "Forge Vision Sense Sync Flow Edge Cyber Info Matrix Pulse Spark Vault Nexus Layer Arc Base "
    "Gate Hub Line Mind Port Quest Bit Code Cloud Compute Metrics Ops Secure Stream Ware Web"
)
NAME_KINDS = _words(
    "Solutions Systems Technologies Consulting Networks Group Partners IT Digital Labs Services "
    "Software Integration Advisory Analytics Associates Innovations Dynamics Ventures Computing "
    "IT_Services Managed_Services Business_Solutions Cloud_Services Infotech"
)
JOB_TITLES = {
    "sales": ("Account Executive", "Sales Director", "Partner Sales Manager", "VP Sales"),
    "technical": ("Solutions Architect", "Systems Engineer", "Presales Engineer", "CTO"),
    "marketing": ("Marketing Manager", "Head of Marketing", "Channel Marketing Specialist"),
    "executive": ("CEO", "Managing Director", "COO", "VP Alliances", "Founder"),
}
INTERESTS = _words(
    "product-updates pricing deal-registration marketing-campaigns training certifications "
    "events webinars co-selling support roadmap incentives"
)
CRM_OWNERS = {
    "na": ("Alex Morgan", "Sam O'Neill", "Grace Liu"),
    "latam": ("Camila Torres", "Rafael Souza"),
    "emea": ("Jonas Becker", "Fatima Haddad", "Lucas Martin", "Emma Johansson"),
    "apac": ("Yuki Tanaka", "Priya Natarajan", "Daniel Tan"),
}


class DemoDataExists(Exception):
    """Demo partners (external ids DEMO-…) are already in the database."""


def demo_seed(*, partners: int, seed: int) -> dict[str, int]:
    """Write `partners` demo partners (DEMO-0000001…) with contacts, tags, certifications and
    24 months of performance in one transaction, then roll up revenue_12m/deals_won_12m.

    Deterministic for (partners, seed). Raises DemoDataExists if demo partners exist.
    Returns the number of rows written per kind.
    """
    if partners < 1:
        raise ValueError("partners must be at least 1")
    rng = np.random.default_rng(seed)
    today = timezone.localdate()
    with transaction.atomic():
        if Partner.objects.filter(external_id__startswith=DEMO_PREFIX).exists():
            raise DemoDataExists("demo partners already exist")
        catalogue = _catalogue_ensure()
        plan = _partners_plan(rng, n=partners, today=today)
        ids = _partners_write(plan, tier_ids=catalogue["tiers"], today=today)
        counts = {"partners": len(ids)}
        for field, tag_model, slugs in (
            ("industries", Industry, list(INDUSTRIES)),
            ("technologies", Technology, list(TECHNOLOGIES)),
        ):
            picks = _pick_sets(rng, n=partners, options=len(slugs), most=3)
            through = getattr(Partner, field).through
            tag_ids = catalogue[field]
            rows = ((ids[i], tag_ids[slugs[j]]) for i, js in enumerate(picks) for j in js)
            counts[f"{tag_model._meta.model_name}_tags"] = _rows_write(
                through, ["partner_id", f"{tag_model._meta.model_name}_id"], rows
            )
        counts["certifications"] = _certifications_write(
            rng, plan=plan, ids=ids, catalogue=catalogue, today=today
        )
        counts["contacts"] = _contacts_write(rng, plan=plan, ids=ids)
        counts["performance_records"] = _performance_write(rng, plan=plan, ids=ids, today=today)
        if connection.vendor == "postgresql":
            # Fresh statistics so the roll-up (and the first segment evaluations) plan well.
            with connection.cursor() as cursor:
                tables = [Partner, Contact, PartnerCertification, PerformanceRecord]
                cursor.execute("ANALYZE " + ", ".join(m._meta.db_table for m in tables))
        # One UPDATE for all partners with records; when other partners are kept (--flush),
        # only the demo ones, so that imported ERP figures stay as given.
        others_exist = Partner.objects.exclude(external_id__startswith=DEMO_PREFIX).exists()
        partners_rollup_performance(partner_ids=ids if others_exist else None, today=today)
    return counts


def demo_flush() -> int:
    """Delete the demo partners (DEMO-…) with everything hanging off them; returns how many."""
    partners = Partner.objects.filter(external_id__startswith=DEMO_PREFIX)
    count = partners.count()
    with transaction.atomic():
        partners.delete()
    return count


@transaction.atomic
def demo_logins_ensure() -> dict[str, tuple[str, str]]:
    """Create or reset the demo logins (idempotent): `manager` (staff, superuser) and
    `partner`, linked to the first contact of the first demo partner if there is one (made
    its company's partner admin). Returns {role: (username, password)}."""
    user_model = get_user_model()
    username, password = MANAGER_LOGIN
    manager, _ = user_model.objects.get_or_create(username=username)
    manager.first_name, manager.last_name = "Morgan", "Reyes"
    manager.email = manager.email or "manager@prm.example"
    manager.is_active = manager.is_staff = manager.is_superuser = True
    manager.set_password(password)
    manager.save()

    username, password = PARTNER_LOGIN
    partner_user, _ = user_model.objects.get_or_create(username=username)
    partner_user.is_active = True
    partner_user.is_staff = partner_user.is_superuser = False
    contact = Contact.objects.filter(partner__external_id=_external_id(0)).order_by("id").first()
    if contact is not None:
        partner_user.first_name, partner_user.last_name = contact.first_name, contact.last_name
        partner_user.email = contact.email
    partner_user.set_password(password)
    partner_user.save()
    if contact is not None and contact.user_id != partner_user.id:
        Contact.objects.filter(user=partner_user).update(user=None, updated_at=timezone.now())
        contact.user = partner_user
        contact.save(update_fields=["user", "updated_at"])
    if contact is not None and not contact.is_partner_admin:
        # The demo partner user runs their company's portal: team and company profile.
        contact.is_partner_admin = True
        contact.save(update_fields=["is_partner_admin", "updated_at"])
    return {"channel manager": MANAGER_LOGIN, "partner user": PARTNER_LOGIN}


# Generation ---------------------------------------------------------------------------------
def _external_id(index: int) -> str:
    return f"{DEMO_PREFIX}{index + 1:07d}"


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    """Weighted choice of indexes into `weights`; when n allows, every option occurs at least
    once, never only on partner 0 (the showcase partner, whose values are set by hand)."""
    p = np.fromiter(weights.values(), float)
    picked = rng.choice(len(p), size=n, p=p / p.sum())
    if n > len(p):
        picked[1 + rng.choice(n - 1, size=len(p), replace=False)] = np.arange(len(p))
    return picked


def _pick_sets(rng: np.random.Generator, *, n: int, options: int, most: int) -> list[list[int]]:
    """For each of n rows, 0..most distinct options (fewer is likelier to be popular)."""
    sizes = rng.choice(most + 1, size=n, p=[0.15, 0.35, 0.3, 0.2][: most + 1])
    order = np.argsort(rng.random((n, options)), axis=1)
    return [row[:size].tolist() for row, size in zip(order, sizes, strict=True)]


def _company_names(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct company names without legal form ("Cobalt Data Systems", "Weber Consulting")."""
    surnames = sorted({name for _, last in NAMES.values() for name in _words(last)})
    composed = len(NAME_PREFIXES) * len(NAME_STEMS) * len(NAME_KINDS)
    space = composed + len(surnames) * len(NAME_KINDS)
    names = []
    for round_, start in enumerate(range(0, n, space)):
        for index in rng.permutation(space)[: min(space, n - start)].tolist():
            if index < composed:
                rest, kind = divmod(index, len(NAME_KINDS))
                prefix, stem = divmod(rest, len(NAME_STEMS))
                name = f"{NAME_PREFIXES[prefix]} {NAME_STEMS[stem]} {NAME_KINDS[kind]}"
            else:
                surname, kind = divmod(index - composed, len(NAME_KINDS))
                name = f"{surnames[surname]} {NAME_KINDS[kind]}"
            names.append(f"{name} {round_ + 1}" if round_ else name)
    return names


@functools.lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    """A name as plain ASCII for e-mail addresses: "Thijs de Vries" -> "thijs-de-vries"."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9 ]", "", folded).replace(" ", "-")


def _partners_plan(rng: np.random.Generator, *, n: int, today: dt.date) -> dict:
    """Every partner column as an array or list (index i is partner DEMO-<i+1>); `tier` is
    0 for none, else 1 + the index in TIERS."""
    types = list(TYPE_WEIGHTS)
    ptype = _pick(rng, TYPE_WEIGHTS, n)
    stages = list(LIFECYCLE_WEIGHTS)
    stage = _pick(rng, LIFECYCLE_WEIGHTS, n)
    stage[0] = STAGE["active"]
    regions = list(REGION_WEIGHTS)
    region = _pick(rng, REGION_WEIGHTS, n)
    country = np.empty(n, dtype=object)
    for r, code in enumerate(regions):
        mask = region == r
        table = COUNTRIES[code]
        country[mask] = _choose(rng, list(table), [v[0] for v in table.values()], mask.sum())
    profile = np.array([TYPE_PROFILE[t][:3] for t in types])[ptype]
    employees = np.clip(np.rint(rng.lognormal(np.log(30), 1.2, n) * profile[:, 0]), 1, 250_000)
    employees[0] = max(employees[0], 180)
    revenue = employees * profile[:, 1] * rng.lognormal(0, 0.4, n)

    # Tiers follow size among established partners; newcomers have none or `registered`.
    established = stage >= STAGE["active"]  # active, dormant or churned
    latent = np.log(employees) + rng.normal(0, 0.5, n)
    rank = np.zeros(n)
    rank[established] = latent[established].argsort().argsort() / max(1, established.sum())
    tier = np.where(established, np.searchsorted(TIER_QUANTILES, rank, side="right"), 0)
    onboarding = stage == STAGE["onboarding"]
    tier[onboarding] = np.where(rng.random(onboarding.sum()) < 0.7, 1, 0)  # registered or none
    tier[0] = 1 + TIERS.index("gold")  # 0 = no tier

    days_joined = np.select(
        [stage == STAGE["applicant"], stage == STAGE["onboarding"]],
        [rng.integers(1, 60, n), rng.integers(30, 180, n)],
        np.rint(180 + 3470 * (1 - np.sqrt(rng.random(n)))),
    ).astype(int)
    stage_mean = np.array([[2, 4], [4, 3], [5, 2.5], [2, 6], [1, 9]])[stage]
    engagement = np.round(100 * rng.beta(stage_mean[:, 0], stage_mean[:, 1]), 1)
    quiet_days = np.array([[0, 30], [0, 20], [0, 45], [60, 365], [120, 720]])[stage]
    days_quiet = np.minimum(rng.integers(quiet_days[:, 0], quiet_days[:, 1] + 1), days_joined)
    savviness = np.clip(np.rint(profile[:, 2] + rng.normal(0, 0.9, n)), 1, 5).astype(int)
    return {
        "n": n,
        "name": _company_names(rng, n),
        "legal": [
            _nth(COUNTRIES[regions[r]][c][3], u)
            for r, c, u in zip(region, country, rng.random(n), strict=True)
        ],
        "type": [types[i] for i in ptype],
        "stage": [stages[i] for i in stage],
        "stage_index": stage,
        "region": [regions[i] for i in region],
        "country": country.tolist(),
        "employees": employees.astype(int),
        "revenue": revenue,
        # A few profiles lack figures, as real ones do (they stay null, never a default).
        "employees_known": (rng.random(n) > 0.02) | (np.arange(n) == 0),
        "revenue_known": (rng.random(n) > 0.04) | (np.arange(n) == 0),
        "tier": tier.astype(int),
        "joined": np.datetime64(today, "D") - days_joined,
        "days_joined": days_joined,
        "savviness": savviness,
        "engagement": engagement,
        "last_activity_seconds": days_quiet * 86400 + rng.integers(1, 86400, n),
        "crm_owner": [
            _nth(CRM_OWNERS[regions[r]], u) for r, u in zip(region, rng.random(n), strict=True)
        ],
        "nda_signed": rng.random(n) < np.where(stage == STAGE["applicant"], 0.3, 0.95),
        "mdf_budget": rng.integers(2, 60, n) * 500 * np.maximum(tier - 1, 0),
        "premium_sla": rng.random(n) < 0.35,
    }


def _choose(
    rng: np.random.Generator, options: Sequence[str], weights: Sequence[float], size: int
) -> np.ndarray:
    values = np.empty(len(options), dtype=object)
    values[:] = list(options)
    p = np.asarray(weights, float)
    return values[rng.choice(len(options), size=size, p=p / p.sum())]


def _nth(options: Sequence[str], u: float) -> str:
    """The option a uniform draw u in [0, 1) lands on."""
    return options[int(u * len(options))]


# Writing ------------------------------------------------------------------------------------
def _catalogue_ensure() -> dict:
    """Tags and certifications the demo uses (existing rows are kept as the vendor edited them)."""
    catalogue = {}
    for key, tag_model, names in (
        ("industries", Industry, INDUSTRIES),
        ("technologies", Technology, TECHNOLOGIES),
        ("certifications", Certification, {s: v[0] for s, v in CERTIFICATIONS.items()}),
    ):
        tag_model.objects.bulk_create(
            [
                tag_model(slug=slug, name=name)
                if tag_model is not Certification
                else tag_model(slug=slug, name=name, validity_days=CERTIFICATIONS[slug][1])
                for slug, name in names.items()
            ],
            ignore_conflicts=True,
        )
        catalogue[key] = dict(tag_model.objects.filter(slug__in=names).values_list("slug", "id"))
    catalogue["validity"] = dict(
        Certification.objects.filter(slug__in=CERTIFICATIONS).values_list("slug", "validity_days")
    )
    catalogue["tiers"] = dict(Tier.objects.filter(slug__in=TIERS).values_list("slug", "id"))
    return catalogue


def _partners_write(plan: dict, *, tier_ids: dict[str, int], today: dt.date) -> list[int]:
    now = timezone.now()
    day_start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    joined = plan["joined"].tolist()
    tiers = [None, *(tier_ids.get(slug) for slug in TIERS)]

    def rows():
        for i in range(plan["n"]):
            attributes = {
                "crm_owner": plan["crm_owner"][i],
                "partner_program": TYPE_PROFILE[plan["type"][i]][3],
                "nda_signed": bool(plan["nda_signed"][i]),
            }
            if plan["mdf_budget"][i]:
                attributes["mdf_budget"] = int(plan["mdf_budget"][i])
            if plan["type"][i] == PartnerType.MSP:
                attributes["sla"] = "premium" if plan["premium_sla"][i] else "standard"
            if plan["stage"][i] in (LifecycleStage.APPLICANT, LifecycleStage.ONBOARDING):
                attributes["onboarding_cohort"] = f"{joined[i].year}-Q{(joined[i].month + 2) // 3}"
            yield (
                f"{plan['name'][i]} {plan['legal'][i]}",
                _external_id(i),
                plan["type"][i],
                tiers[plan["tier"][i]],
                plan["region"][i],
                plan["country"][i],
                int(plan["employees"][i]) if plan["employees_known"][i] else None,
                Decimal(int(round(plan["revenue"][i], -3))) if plan["revenue_known"][i] else None,
                plan["stage"][i],
                joined[i],
                int(plan["savviness"][i]),
                float(plan["engagement"][i]),
                day_start - dt.timedelta(seconds=int(plan["last_activity_seconds"][i])),
                attributes,
                now,
                now,
            )

    fields = ["name", "external_id", "partner_type", "tier_id", "region", "country",
              "employee_count", "annual_revenue", "lifecycle_stage", "joined_at",
              "tech_savviness", "engagement_score", "last_activity_at", "attributes",
              "created_at", "updated_at"]  # fmt: skip
    _rows_write(Partner, fields, rows())
    id_by_external = dict(
        Partner.objects.filter(external_id__startswith=DEMO_PREFIX).values_list("external_id", "id")
    )
    return [id_by_external[_external_id(i)] for i in range(plan["n"])]


def _certifications_write(
    rng: np.random.Generator, *, plan: dict, ids: list[int], catalogue: dict, today: dt.date
) -> int:
    slugs = list(CERTIFICATIONS)
    cert_ids, validity = catalogue["certifications"], catalogue["validity"]
    # Better tiers hold more certifications; applicants none yet.
    lowest = np.array([0, 0, 1, 2, 3])[plan["tier"]]
    sizes = np.minimum(lowest + rng.integers(0, 3, plan["n"]), len(slugs))
    sizes[plan["stage_index"] == STAGE["applicant"]] = 0
    order = np.argsort(rng.random((plan["n"], len(slugs))), axis=1)
    ages = (
        rng.random((plan["n"], len(slugs))) ** 1.5 * np.minimum(plan["days_joined"], 1460)[:, None]
    )

    def rows():
        for i in range(plan["n"]):
            for k, j in enumerate(order[i, : sizes[i]].tolist()):
                earned = today - dt.timedelta(days=int(ages[i, k]))
                days = validity[slugs[j]]
                expires = earned + dt.timedelta(days=days) if days is not None else None
                yield ids[i], cert_ids[slugs[j]], earned, expires

    fields = ["partner_id", "certification_id", "earned_at", "expires_at"]
    return _rows_write(PartnerCertification, fields, rows())


def _contacts_write(rng: np.random.Generator, *, plan: dict, ids: list[int]) -> int:
    n = plan["n"]
    size_rank = np.log(plan["employees"]) / np.log(250_000)
    counts = 1 + rng.binomial(4, np.clip(0.3 + 0.6 * size_rank, 0, 0.9))
    total = int(counts.sum())
    role_offset = rng.integers(0, 4, n)
    draws = rng.random((total, 10))
    roles = list(ContactRole.values)
    now = timezone.now()
    pools = {culture: (_words(first), _words(last)) for culture, (first, last) in NAMES.items()}
    used_domains: set[str] = set()

    def rows():
        row = 0
        for i in range(n):
            _, languages, culture, _, dial = COUNTRIES[plan["region"][i]][plan["country"][i]]
            first_names, last_names = pools[culture]
            domain = _ascii(plan["name"][i])
            others = [*languages[1:], "en"]
            domain = f"{domain}-{i + 1}" if domain in used_domains else domain
            used_domains.add(domain)
            taken: set[str] = set()
            for k in range(counts[i]):
                u = draws[row]
                row += 1
                first, last = _nth(first_names, u[0]), _nth(last_names, u[1])
                local = f"{_ascii(first)}.{_ascii(last)}".replace("-", "")
                local = f"{local}{k + 1}" if local in taken else local
                taken.add(local)
                role = roles[(role_offset[i] + k) % len(roles)]
                # Mostly the country's main language, else another one of it or English.
                language = languages[0] if u[2] < 0.75 else _nth(others, (u[2] - 0.75) * 4)
                interests = {_nth(INTERESTS, x * 2) for x in u[4:7] if x < 0.5}
                yield (
                    ids[i],
                    first,
                    last,
                    f"{local}@{domain}.example",
                    f"+{dial} {int(u[8] * 900) + 100} {int(u[8] * 1e7) % 10_000:04d}"
                    if u[7] < 0.8
                    else "",
                    _nth(JOB_TITLES[role], u[3]),
                    role,
                    sorted(interests),
                    language,
                    bool(u[9] < 0.85),
                    now,
                    now,
                )

    fields = ["partner_id", "first_name", "last_name", "email", "phone", "job_title", "role",
              "interests", "language", "email_opt_in", "created_at", "updated_at"]  # fmt: skip
    return _rows_write(Contact, fields, rows())


def _performance_write(
    rng: np.random.Generator, *, plan: dict, ids: list[int], today: dt.date
) -> int:
    """24 monthly records per partner, ending with the current month, sized by company size
    and tier (the vendor's share), seasonal, growing, and zero before joining or after churn."""
    n = plan["n"]
    first = month_start(today) - relativedelta(months=MONTHS - 1)
    months = [first + relativedelta(months=t) for t in range(MONTHS)]
    t = np.arange(MONTHS)
    joined_month = (plan["joined"].astype("datetime64[M]") - np.datetime64(first, "M")).astype(int)
    factor = np.where(t[None, :] >= joined_month[:, None], 1.0, 0.0)
    stage = plan["stage_index"]
    ramp = np.clip((t[None, :] - joined_month[:, None] + 1) / 6, 0, 1)
    factor = np.where((stage == STAGE["onboarding"])[:, None], factor * ramp * 0.5, factor)
    factor[stage == STAGE["applicant"]] = 0
    stop = MONTHS - rng.integers(3, 16, n)
    churned = (stage == STAGE["churned"])[:, None] & (t[None, :] >= stop[:, None])
    quiet = MONTHS - rng.integers(4, 10, n)
    dormant = (stage == STAGE["dormant"])[:, None] & (t[None, :] >= quiet[:, None])
    factor = np.where(churned, 0, np.where(dormant, factor * 0.15, factor))

    growth = rng.lognormal(np.log(1.08), 0.15, n)[:, None] ** ((t[None, :] - MONTHS + 1) / 12)
    seasonal = SEASONALITY[[m.month - 1 for m in months]][None, :]
    monthly = plan["revenue"] * VENDOR_SHARE[plan["tier"]] * rng.lognormal(0, 0.3, n) / 12
    expected = monthly[:, None] * seasonal * growth * factor
    deal_size = 5000 * plan["employees"] ** 0.35 * rng.lognormal(0, 0.35, n)
    rate = expected / deal_size[:, None]
    won = rng.poisson(rate)
    win_rate = np.clip(rng.beta(4, 6, n) + 0.04 * plan["tier"], 0.1, 0.8)[:, None]
    registered = won + rng.poisson(rate * (1 - win_rate) / win_rate)
    cents = np.rint(won * deal_size[:, None] * rng.lognormal(0, 0.25, (n, MONTHS)) * 100)
    cents = cents.astype(np.int64)
    partner_ids = np.asarray(ids)
    month_texts = [month.isoformat() for month in months]

    def rows():
        # Dates and amounts as text, which COPY takes as is and Django's fields parse: this is
        # 2.4 million rows at 100,000 partners, so per-value Python objects count.
        for start in range(0, n, 10_000):
            block = slice(start, start + 10_000)
            yield from zip(
                np.repeat(partner_ids[block], MONTHS).tolist(),
                month_texts * len(partner_ids[block]),
                [f"{c // 100}.{c % 100:02d}" for c in cents[block].ravel().tolist()],
                registered[block].ravel().tolist(),
                won[block].ravel().tolist(),
                strict=True,
            )

    fields = ["partner_id", "month", "revenue", "deals_registered", "deals_won"]
    return _rows_write(PerformanceRecord, fields, rows())


def _copy_supported() -> bool:
    """COPY needs PostgreSQL through psycopg2 (`copy_expert`); anything else uses bulk_create."""
    return connection.vendor == "postgresql" and connection.Database.__name__ == "psycopg2"


def _rows_write(model: type[models.Model], fields: list[str], rows: Iterable[tuple]) -> int:
    """Insert rows (tuples of values in `fields` order); returns how many."""
    if _copy_supported():
        return _rows_copy(model, fields, rows)
    written = 0
    for batch in _batches(rows):
        model.objects.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in batch], batch_size=5000
        )
        written += len(batch)
    return written


def _rows_copy(model: type[models.Model], fields: list[str], rows: Iterable[tuple]) -> int:
    """One COPY … FROM STDIN for all rows, streamed."""
    opts, quote = model._meta, connection.ops.quote_name
    given = [opts.get_field(name) for name in fields]
    # COPY skips Django's field defaults; a column added with one gets it, as in bulk_create.
    defaulted = [
        field
        for field in opts.concrete_fields
        if field not in given and field.has_default() and not field.primary_key
    ]
    defaults = tuple(field.get_default() for field in defaulted)
    columns = ", ".join(quote(field.column) for field in [*given, *defaulted])
    formats = [_copy_format(field) for field in [*given, *defaulted]]
    if all(fmt is str for fmt in formats):
        template = "\t".join(["%s"] * len(formats))
        lines = (template % (row + defaults) for row in rows)
    else:
        lines = (
            "\t".join([fmt(value) for fmt, value in zip(formats, row + defaults, strict=True)])
            for row in rows
        )
    stream = _CopyStream(lines)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN", stream, size=1 << 16
        )
    return stream.lines


class _CopyStream:
    """A file for copy_expert that formats lines only as COPY reads them, so that Python
    generates rows while PostgreSQL inserts the previous ones (two cores at work, not one)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._buffer = ""
        self.lines = 0

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self._buffer) < size:
            chunk = list(islice(self._lines, 1000))
            if not chunk:
                break
            self.lines += len(chunk)
            self._buffer += "\n".join(chunk) + "\n"
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _batches(rows: Iterable[tuple]) -> Iterable[list[tuple]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _copy_format(field: models.Field) -> Callable[[object], str]:
    """How a value of this field is spelled in COPY's text format."""
    if isinstance(field, models.JSONField):
        return lambda value: _copy_text(json.dumps(value))
    if isinstance(field, models.BooleanField):
        return lambda value: "t" if value else "f"
    if isinstance(field, models.CharField | models.TextField):
        return lambda value: r"\N" if value is None else _copy_text(value)
    if field.null:
        return lambda value: r"\N" if value is None else str(value)
    return str


def _copy_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
