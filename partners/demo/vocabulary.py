"""What the demo data is made of: the DEMO- id prefix, the months of history, the tag and
certification catalogue, the weights and profiles of partner types, regions, stages and
tiers, and the countries, names and titles that make partners and contacts look real."""

from __future__ import annotations

import numpy as np

DEMO_PREFIX = "DEMO-"
MONTHS = 24


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
# Applicants are few: a program reviews a handful of applications at a time (the demo adds
# its form-submitted ones, portal/demo.py), not a twentieth of its partners.
LIFECYCLE_WEIGHTS = {"applicant": 0.3, "onboarding": 7, "active": 72, "dormant": 12.7, "churned": 8}
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
