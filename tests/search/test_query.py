"""The search box's language: what each piece of syntax becomes, and hints instead of errors."""

import random

import pytest

from exchange.search.query import (
    All,
    Any,
    Hint,
    Phrase,
    Prefix,
    Value,
    Words,
    parse,
    positive_parts,
)


def codes(parsed):
    return [h.code for h in parsed.hints]


def test_words_are_anded_and_analysed():
    parsed = parse("Evaluating jailbreaks")
    assert parsed.tree == All(
        (
            Words("Evaluating", (("evalu",),)),
            Words("jailbreaks", (("jailbreak",),)),
        )
    )
    assert parsed.hints == []


def test_korean_word_loses_its_particle_on_the_query_side():
    parsed = parse("탈옥을 평가")
    assert parsed.tree.include == (Words("탈옥을", (("탈옥",),)), Words("평가", (("평가",),)))


def test_phrase_keeps_every_term_in_order():
    parsed = parse('"state of the art" models')
    phrase, words = parsed.tree.include
    assert phrase == Phrase("state of the art", ("state", "art"))
    assert words == Words("models", (("model",),))


def test_one_word_phrase_is_a_word():
    assert parse('"refusal"').tree.include == (Words("refusal", (("refus",),)),)


def test_exclusions_and_or():
    parsed = parse("jailbreak korean OR japanese -english")
    assert parsed.tree.include[0] == Words("jailbreak", (("jailbreak",),))
    assert isinstance(parsed.tree.include[1], Any)
    assert [p.text for p in parsed.tree.include[1].parts] == ["korean", "japanese"]
    assert parsed.tree.exclude == (Words("english", (("english",),)),)


def test_or_chains_and_dangling_or():
    parsed = parse("a1 OR b2 OR c3")
    assert len(parsed.tree.include) == 1
    assert [p.text for p in parsed.tree.include[0].parts] == ["a1", "b2", "c3"]
    assert codes(parse("OR cyber")) == ["dangling_or"]
    assert codes(parse("cyber OR")) == ["dangling_or"]
    assert parse("cyber OR").tree.include == (Words("cyber", (("cyber",),)),)


def test_or_with_an_exclusion_excludes():
    parsed = parse("cyber OR -bio")
    assert codes(parsed) == ["or_exclusion"]
    assert parsed.tree.exclude == (Words("bio", (("bio",),)),)


def test_prefixes_need_three_letters():
    assert parse("eval*").tree.include == (Prefix("eval"),)
    short = parse("ev*")
    assert codes(short) == ["short_prefix"]
    assert short.tree.include == (Words("ev", (("ev",),)),)
    # Korean "prefixes" are searched as words: bigrams already match inside longer runs.
    assert parse("평가*").tree.include == (Words("평가", (("평가",),)),)


def test_fields():
    parsed = parse('title:"red team" tag:Korean institute:KR-AISI domain:cyber model:GPT-4o')
    title, tag, institute, domain, model = parsed.tree.include
    assert title == Phrase("red team", ("red", "team"), "title")
    assert tag == Value("tag", "korean")
    assert institute == Value("institute", "kr-aisi")
    assert domain == Value("domain", "cyber")
    assert model == Words("GPT-4o", (("gpt", "4o"),), "model")
    assert parse('kind:finding lang:ko tag:"red teaming"').tree.include == (
        Value("kind", "finding"),
        Value("lang", "ko"),
        Value("tag", "red_teaming"),
    )


def test_unknown_field_is_read_as_words():
    parsed = parse("colour:blue")
    assert parsed.hints == [Hint("unknown_field", "colour")]
    assert [p.text for p in parsed.tree.include] == ["colour blue"]


def test_only_exclusions_and_only_stop_words_search_nothing():
    assert parse("-cyber").tree is None
    assert codes(parse("-cyber")) == ["only_exclusions"]
    assert parse("the of and").tree is None
    assert parse("").tree is None
    assert parse("   ").tree is None


def test_unclosed_quote_runs_to_the_end():
    parsed = parse('"attack success rate')
    assert codes(parsed) == ["unclosed_quote"]
    assert parsed.tree.include == (Phrase("attack success rate", ("attack", "success", "rate")),)


def test_long_and_many_part_queries_are_cut_with_a_hint():
    assert "too_long" in codes(parse("word " * 200))
    many = parse(" ".join(f"w{i}x" for i in range(40)))
    assert "too_many" in codes(many)
    assert len(many.tree.include) == 24


def test_positive_parts_flatten_or_and_skip_exclusions():
    parsed = parse("alpha beta OR gamma -delta")
    assert [p.text for p in positive_parts(parsed.tree)] == ["alpha", "beta", "gamma"]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "-",
        "--",
        "- -",
        ":",
        "title:",
        'title:"',
        "*",
        "**",
        "OR",
        "AND",
        "OR OR",
        '""',
        "\x00",
    ],
)
def test_odd_inputs_never_raise(text):
    parse(text)


def test_random_inputs_never_raise():
    alphabet = 'ab가나 "-:*()ORAND\t\n\\\x00é漢'
    rng = random.Random(7)
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        parsed = parse(text)
        assert parsed.tree is None or parsed.tree.include
