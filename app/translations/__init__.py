"""Chinese UI text, one module per area of the app (English msgid → Chinese)."""

from app.translations import admin, calibration, core, documents, intake, runs

AREAS = (core, runs, admin, documents, calibration, intake)


def zh_messages() -> dict[str, str]:
    merged: dict[str, str] = {}
    for area in AREAS:
        clashes = {
            key for key in area.MESSAGES if key in merged and merged[key] != area.MESSAGES[key]
        }
        if clashes:
            raise ValueError(f"{area.__name__} translates {sorted(clashes)} differently")
        merged.update(area.MESSAGES)
    return merged
