"""Markdown to safe HTML and to plain text."""

from __future__ import annotations

from torget.services.markdown import is_external, markdown_to_html, markdown_to_text


def test_markdown_to_html_escapes_script_tags_typed_in_the_text() -> None:
    html = markdown_to_html("Hei <script>alert('x')</script>\n\n<img src=x onerror=alert(1)>")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html
    assert "onerror" not in html or "&lt;img" in html


def test_markdown_to_html_drops_javascript_links_and_event_attributes() -> None:
    html = markdown_to_html(
        "[klikk](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) "
        '[ok](https://eksempel.no "tittel")'
    )
    assert "javascript:" not in html.replace("[klikk](javascript:alert(1))", "")
    assert 'href="javascript' not in html and 'href="data:' not in html
    assert '<a href="https://eksempel.no" title="tittel" rel="nofollow">ok</a>' in html


def test_markdown_to_html_marks_only_external_links_nofollow() -> None:
    html = markdown_to_html(
        "[a](https://ekstern.no/side) [b](/tjenester/) [c](https://torget.test/x) "
        "[d](mailto:post@eksempel.no)",
        hosts=["torget.test"],
    )
    assert '<a href="https://ekstern.no/side" rel="nofollow">a</a>' in html
    assert '<a href="/tjenester/">b</a>' in html
    assert '<a href="https://torget.test/x">c</a>' in html
    assert '<a href="mailto:post@eksempel.no">d</a>' in html


def test_markdown_to_html_puts_the_top_heading_level_under_the_page_title() -> None:
    html = markdown_to_html("# Søk\n\n## Pris\n\n###### Liten")
    assert "<h1>" not in html
    assert "<h2>Søk</h2>" in html and "<h3>Pris</h3>" in html and "<h6>Liten</h6>" in html
    html = markdown_to_html("## Søk\n\n### Pris")
    assert "<h2>Søk</h2>" in html and "<h3>Pris</h3>" in html
    assert "<h2>Frist</h2>" in markdown_to_html("#### Frist")


def test_markdown_to_html_keeps_lists_emphasis_and_tables_without_inline_styles() -> None:
    html = markdown_to_html("- **en**\n- *to*\n\n| Plass | Pris |\n|---|--:|\n| Hel | 2 000 kr |")
    assert "<li><strong>en</strong></li>" in html and "<li><em>to</em></li>" in html
    assert "<td>2 000 kr</td>" in html
    assert "style=" not in html  # column alignment would be an inline style (CSP)


def test_markdown_to_text_strips_markup_and_keeps_the_words() -> None:
    text = markdown_to_text(
        "## Søk barnehageplass\n\nFristen er **1. mars**. Se [skjemaet](/skjema/).\n\n"
        "- Heltid\n- Deltid\n\n<b>fet</b>"
    )
    assert text == (
        "Søk barnehageplass\n\nFristen er 1. mars. Se skjemaet.\n\nHeltid\nDeltid\n\n<b>fet</b>"
    )


def test_is_external_knows_the_site_s_own_hosts() -> None:
    assert is_external("https://example.com/x")
    assert is_external("//example.com/x")
    assert not is_external("https://Torget.Test/x", ["torget.test"])
    assert not is_external("/relative")
    assert not is_external("mailto:a@b.no")
