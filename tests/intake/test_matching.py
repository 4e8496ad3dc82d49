"""The bilingual matcher: terms, scores, top 5, matched words, speed-independent behaviour."""

import math
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from app.config import PROJECT_ROOT
from app.intake.matching import (
    CatalogEntry,
    build_index,
    match_all,
    matched_terms,
    normalise,
    stem,
    tokenize,
)

CATALOG_FILE = PROJECT_ROOT / "data" / "catalog" / "default.yaml"


@cache
def _catalog_items(path: Path = CATALOG_FILE) -> tuple[dict[str, object], ...]:
    return tuple(yaml.safe_load(path.read_text(encoding="utf-8"))["items"])


def catalog_entries(aliases: dict[str, list[str]] | None = None) -> list[CatalogEntry]:
    """The seeded default catalog as matcher entries (item_id = position), plus aliases."""
    return [
        CatalogEntry(
            item_id=position,
            code=str(item["code"]),
            name_zh=str(item["name_zh"]),
            name_en=str(item["name_en"]),
            description_zh=str(item.get("description_zh", "")),
            description_en=str(item.get("description_en", "")),
            tags=tuple(str(tag) for tag in item.get("tags", [])),  # type: ignore[attr-defined]
            aliases=tuple((aliases or {}).get(str(item["code"]), [])),
        )
        for position, item in enumerate(_catalog_items())
    ]


def codes() -> list[str]:
    return [str(item["code"]) for item in _catalog_items()]


def top_codes(text: str, *, k: int = 5, aliases: dict[str, list[str]] | None = None) -> list[str]:
    index = build_index(catalog_entries(aliases))
    return [codes()[match.item_id] for match in index.top(text, k)]


# --- terms ------------------------------------------------------------------------------------


def test_chinese_is_indexed_as_overlapping_character_bigrams() -> None:
    assert [token.term for token in tokenize("数据加密")] == ["数据", "据加", "加密"]


def test_a_single_chinese_character_between_latin_words_is_kept_as_a_term() -> None:
    assert [token.term for token in tokenize("API 云 gateway")] == ["api", "云", "gateway"]


def test_requirement_boilerplate_is_left_out_in_both_languages() -> None:
    terms = [token.term for token in tokenize("系统应支持 The system shall support SSO")]
    assert "支持" not in terms
    assert {"the", "shall", "support", "system"}.isdisjoint(terms)
    assert "sso" in terms


@pytest.mark.parametrize(
    ("words", "stemmed"),
    [
        (("encrypt", "encrypted", "encryption", "encrypts", "encrypting"), "encrypt"),
        (("report", "reports", "reporting", "reported"), "report"),
        (("integrate", "integrated", "integration", "integrating"), "integr"),
        (("migrate", "migrated", "migration", "migrations"), "migr"),
    ],
)
def test_english_word_forms_share_one_stem(words: tuple[str, ...], stemmed: str) -> None:
    assert {stem(word) for word in words} == {stemmed}


def test_full_width_letters_and_digits_match_their_ascii_forms() -> None:
    assert normalise("ＳＳＯ与ＯＡ对接２次") == "SSO与OA对接2次"
    assert top_codes("支持ＳＳＯ", k=1) == ["DEV-003"]


def test_catalog_codes_in_a_requirement_are_terms() -> None:
    assert "dev-024" in [token.term for token in tokenize("参照 DEV-024 实现")]
    assert top_codes("参照DEV-024实现", k=1) == ["DEV-024"]


# --- matching against the seeded catalog -----------------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        ("加密", "DEV-032"),  # two-character terms must match on their own
        ("登录", "DEV-003"),
        ("支持数据加密存储，敏感字段采用国密算法", "DEV-032"),
        ("系统应支持单点登录", "DEV-003"),
        ("系统应具备全文检索能力", "DEV-024"),
        ("★系统须通过等保三级测评", "TST-008"),
        ("提供一年驻场运维服务", "SUP-001"),
        ("All data shall be encrypted using SM cryptography", "DEV-032"),
        ("The system shall support single sign-on", "DEV-003"),
        ("Provide monthly health checks of the system", "SUP-003"),
        ("Integration with the customer's SAP via RFC", "INT-002"),
    ],
)
def test_the_right_catalog_item_comes_first(requirement: str, expected: str) -> None:
    assert top_codes(requirement, k=1) == [expected]


def test_at_most_five_matches_best_first_with_scores_between_zero_and_one() -> None:
    index = build_index(catalog_entries())
    matches = index.top("系统须与行内OA、ERP系统对接并实现单点登录和数据同步")
    assert len(matches) == 5
    scores = [match.score for match in matches]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 < score <= 1.0 for score in scores)
    assert len({match.item_id for match in matches}) == 5


def test_the_threshold_drops_weaker_matches_only() -> None:
    index = build_index(catalog_entries())
    everything = index.top("提供报表统计功能")
    cut = (everything[0].score + everything[-1].score) / 2
    kept = index.top("提供报表统计功能", threshold=cut)
    assert kept == [match for match in everything if match.score >= cut]
    assert 0 < len(kept) < len(everything)


def test_matched_terms_are_the_words_as_written_with_bigrams_merged() -> None:
    index = build_index(catalog_entries())
    best = index.top("系统应支持单点登录", k=1)[0]
    assert "单点登录" in best.matched_terms  # not 单点, 点登, 登录 apart
    assert {"单点", "点登", "登录"}.isdisjoint(best.matched_terms)
    english = index.top("All data shall be Encrypted at rest", k=1)[0]
    assert "Encrypted" in english.matched_terms


def test_matched_terms_name_only_words_the_item_really_holds() -> None:
    index = build_index(catalog_entries())
    entries = {entry.item_id: entry for entry in catalog_entries()}
    for match in index.top("需与行内OA系统对接，并提供驻场运维"):
        entry = entries[match.item_id]
        fields = (entry.code, entry.name_zh, entry.name_en, entry.description_zh)
        held = " ".join((*fields, entry.description_en, *entry.tags)).casefold()
        for word in match.matched_terms:
            assert any(token.term in set(_terms(held)) for token in tokenize(normalise(word)))


def _terms(text: str) -> list[str]:
    return [token.term for token in tokenize(normalise(text))]


def test_matched_terms_helper_merges_overlapping_bigrams() -> None:
    assert matched_terms("系统应支持单点登录", {"单点", "点登", "登录"}) == ("单点登录",)
    assert matched_terms("单点 登录", {"单点", "登录"}) == ("单点", "登录")


def test_a_text_equal_to_an_alias_scores_one() -> None:
    alias = "员工使用行内统一账号一次认证后即可进入各业务应用"
    index = build_index(catalog_entries({"DEV-003": [alias]}))
    best = index.top(alias, k=1)[0]
    assert codes()[best.item_id] == "DEV-003"
    assert best.score == pytest.approx(1.0, abs=1e-6)


def test_a_text_sharing_nothing_with_the_catalog_has_no_match() -> None:
    index = build_index(catalog_entries())
    assert index.top("Lorem ipsum dolor 甲乙丙丁戊己庚辛") == []
    assert index.top("") == []


def test_an_empty_index_matches_nothing() -> None:
    assert build_index([]).top("单点登录") == []
    assert match_all(build_index([]), ["a", "b"]) == [[], []]


def test_match_all_keeps_the_order_and_scores_repeated_texts_alike() -> None:
    index = build_index(catalog_entries())
    texts = ["单点登录", "全文检索", "单点登录", "Provide monthly health checks"]
    results = match_all(index, texts)
    assert len(results) == 4
    assert results[0] == results[2]
    assert results[1][0] == index.top("全文检索", k=1)[0]


def test_scores_equal_a_plain_python_tf_idf_cosine() -> None:
    """An independent oracle: the same definition computed term by term, pair by pair."""
    entries = catalog_entries({"DEV-024": ["可按关键字搜索历史合同正文"]})
    index = build_index(entries)
    texts = ["系统应支持单点登录和数据加密", "Monthly health check report", "关键字搜索合同"]
    assert np.allclose(index.scores(texts), _oracle_scores(entries, texts), atol=1e-9)


def _oracle_scores(entries: list[CatalogEntry], texts: list[str]) -> np.ndarray:
    weights = (("code", 2.0), ("name_zh", 2.0), ("name_en", 2.0), ("description_zh", 1.0))
    profiles: list[Counter[str]] = []
    documents: list[set[str]] = []
    alias_sets: list[list[Counter[str]]] = []
    for entry in entries:
        profile: Counter[str] = Counter()
        for name, weight in (*weights, ("description_en", 1.0)):
            for term in _terms(getattr(entry, name)):
                profile[term] += weight  # type: ignore[assignment]
        for term in _terms(" ".join(entry.tags)):
            profile[term] += 1.5  # type: ignore[assignment]
        aliases = [Counter(_terms(alias)) for alias in entry.aliases]
        profiles.append(profile)
        alias_sets.append(aliases)
        documents.append(set(profile).union(*[set(a) for a in aliases]))
    size = len(entries)
    df = Counter(term for document in documents for term in document)

    def idf(term: str) -> float:
        if term in df:
            return math.log((1 + size) / (1 + df[term])) + 1
        return 0.5 * (math.log(1 + size) + 1)

    def vector(counts: Counter[str]) -> tuple[dict[str, float], float]:
        values = {t: (1 + math.log(c)) * idf(t) for t, c in counts.items() if c > 0}
        return values, math.sqrt(sum(v * v for v in values.values())) or 1.0

    def cosine(query: Counter[str], document: Counter[str]) -> float:
        q, q_norm = vector(query)
        d, d_norm = vector(document)
        return sum(q[t] * d[t] for t in q if t in d and t in df) / (q_norm * d_norm)

    result = np.zeros((len(texts), size))
    for row, text in enumerate(texts):
        query = Counter(_terms(text))
        for column in range(size):
            candidates = [cosine(query, profiles[column])]
            candidates += [cosine(query, alias) for alias in alias_sets[column]]
            result[row, column] = max(candidates)
    return result


def test_the_vectorised_query_terms_equal_tokenize_term_by_term() -> None:
    """Queries find their CJK bigrams with numpy over code points; :func:`tokenize` is the
    plain reference. Both must give the same terms at the same places."""
    index = build_index(catalog_entries())
    names = {number: term for term, number in index.vocabulary.items()}
    texts = [
        "支持单点登录（SSO）与 DEV-024 全文检索",
        "需与行内OA系统对接的要求和了解",
        "云 API 网关 2FA",
        "ＳＳＯ",
        "",
        "The system shall export encrypted reports",
        "甲",
        "数据加密\n登录",
    ]
    normalised = [normalise(text) for text in texts]
    queries = index._queries(normalised)
    for number, text in enumerate(normalised):
        span = slice(queries.offsets[number], queries.offsets[number + 1])
        expected = [(token.start, token.end, token.cjk, token.term) for token in tokenize(text)]
        found = [
            (int(start), int(end), bool(cjk), names.get(int(term_id), "?"))
            for start, end, cjk, term_id in zip(
                queries.starts[span],
                queries.ends[span],
                queries.cjk[span],
                queries.ids[span],
                strict=True,
            )
            if term_id >= 0  # boilerplate bigrams (-1): tokenize leaves them out
        ]
        assert [item[:3] for item in found] == [item[:3] for item in expected], text
        for (_, _, _, name), (_, _, _, term) in zip(found, expected, strict=True):
            assert name in {term, "?"}, text
            assert (name == "?") == (term not in index.vocabulary), text
