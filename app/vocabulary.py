"""Controlled vocabularies shared by the models, the importers and the pages.

Values are stored as their English codes; labels are bilingual (zh, en).
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    DISCOVERY = "discovery"
    DESIGN = "design"
    BUILD = "build"
    INTEGRATION = "integration"
    TEST = "test"
    DEPLOY = "deploy"
    TRAINING = "training"
    PM = "pm"
    SUPPORT = "support"


PHASE_LABELS: dict[Phase, tuple[str, str]] = {
    Phase.DISCOVERY: ("需求调研", "Discovery"),
    Phase.DESIGN: ("设计", "Design"),
    Phase.BUILD: ("开发", "Build"),
    Phase.INTEGRATION: ("集成", "Integration"),
    Phase.TEST: ("测试", "Test"),
    Phase.DEPLOY: ("部署", "Deploy"),
    Phase.TRAINING: ("培训", "Training"),
    Phase.PM: ("项目管理", "Project management"),
    Phase.SUPPORT: ("运维", "Support"),
}


class Unit(StrEnum):
    ITEM = "item"
    EACH = "each"
    INTERFACE = "interface"
    REPORT = "report"
    PAGE = "page"
    MODULE = "module"
    SET = "set"
    SYSTEM = "system"
    MONTH = "month"
    YEAR = "year"
    PERSON_DAY = "person_day"
    SITE = "site"
    BATCH = "batch"


UNIT_LABELS: dict[Unit, tuple[str, str]] = {
    Unit.ITEM: ("项", "item"),
    Unit.EACH: ("个", "each"),
    Unit.INTERFACE: ("接口", "interface"),
    Unit.REPORT: ("报表", "report"),
    Unit.PAGE: ("页面", "page"),
    Unit.MODULE: ("模块", "module"),
    Unit.SET: ("套", "set"),
    Unit.SYSTEM: ("系统", "system"),
    Unit.MONTH: ("月", "month"),
    Unit.YEAR: ("年", "year"),
    Unit.PERSON_DAY: ("人天", "person-day"),
    Unit.SITE: ("站点", "site"),
    Unit.BATCH: ("批次", "batch"),
}


class Distribution(StrEnum):
    PERT = "pert"
    TRIANGULAR = "triangular"
    UNIFORM = "uniform"
    LOGNORMAL = "lognormal"
    FIXED = "fixed"


class ItemKind(StrEnum):
    """``days``: values are person-days per unit; ``percent``: percent of other phases' effort."""

    DAYS = "days"
    PERCENT = "percent"


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class OpportunityStatus(StrEnum):
    PROSPECT = "prospect"
    BIDDING = "bidding"
    SUBMITTED = "submitted"
    WON = "won"
    LOST = "lost"
    CANCELLED = "cancelled"


class RevisionStatus(StrEnum):
    DRAFT = "draft"
    FROZEN = "frozen"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Sampling(StrEnum):
    MONTE_CARLO = "mc"
    LATIN_HYPERCUBE = "lhs"


class RangeInterpretation(StrEnum):
    """Whether experts' ranges are hard bounds or their P10/P90 (Primavera Trigen style)."""

    ABSOLUTE = "absolute"
    P10_P90 = "p10_p90"


class StatementKind(StrEnum):
    ASSUMPTION = "assumption"
    EXCLUSION = "exclusion"


class AccessRole(StrEnum):
    ADMIN = "admin"
    PRESALES = "presales"
    SALES = "sales"
    BID = "bid"


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


# Cost day rates and margins are confidential: only these roles may ever see them.
COST_VISIBLE_ROLES: frozenset[AccessRole] = frozenset({AccessRole.ADMIN, AccessRole.PRESALES})


def can_see_cost(role: AccessRole) -> bool:
    return role in COST_VISIBLE_ROLES
