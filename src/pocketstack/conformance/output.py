"""Report renderers: a readable table, JSON, and JUnit XML for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from pocketstack.conformance.report import Report, Result, Status

FORMATS = ("table", "json", "junit")
_MAX_FOUND = 60


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "junit":
        return render_junit(report)
    return render_table(report)


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"


def _clip(text: str, width: int = _MAX_FOUND) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def render_table(report: Report) -> str:
    header = ("REQUIREMENT", "LEVEL", "EXPECTED", "FOUND", "RESULT")
    rows = [(f"{r.section}: {r.requirement}", "mandatory" if r.mandatory else "optional", _clip(r.expected, 40),
             _clip(r.found), r.status.value) for r in report.results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [f"RA1 chapter 5 profile {report.profile!r} ({report.title})", f"cloud: {report.cloud} {report.auth_url}",
           "", line(header), line(tuple("-" * w for w in widths))]
    out += [line(row) for row in rows]
    absent = [r.section for r in report.results if r.requirement == "in catalog" and r.status is Status.MISSING]
    if absent:
        out += ["", f"Not in the catalog: {', '.join(absent)}"]
    problems = [r for r in report.results if r.status is Status.FAIL and (r.detail or r.blocking)]
    if problems:
        out += ["", "Failures:"]
        out += [f"  {r.section}: {r.requirement}"
                f"{'' if r.mandatory else ' (optional)'}: {_clip(r.detail or r.found, 160)}" for r in problems]
    s = report.summary()
    verdict = "INTERRUPTED" if report.interrupted else ("CONFORMANT" if report.passed else "NOT CONFORMANT")
    out += ["", (f"{verdict}: {s['PASS']} passed, {s['FAIL']} failed, {s['MISSING']} missing, {s['SKIP']} skipped; "
                 f"{s['mandatory_failed']} mandatory requirement(s) not met ({report.duration:.1f}s)")]
    return "\n".join(out) + "\n"


def _testcase(suite: ET.Element, r: Result) -> None:
    case = ET.SubElement(suite, "testcase", classname=f"ra1.{r.section}", name=r.requirement, time="0")
    text = f"expected: {r.expected}\nfound: {r.found}\n{r.detail}".strip()
    if r.blocking:
        ET.SubElement(case, "failure", message=f"{r.status.value}: expected {r.expected}, found {r.found}",
                      type=r.status.value).text = text
    elif r.status is not Status.PASS:
        why = "optional requirement not met" if r.status in (Status.FAIL, Status.MISSING) else "not checked"
        ET.SubElement(case, "skipped", message=f"{r.status.value} ({why}): {r.detail or r.found}")
    ET.SubElement(case, "system-out").text = text


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", name=f"pocketstack-conformance-{report.profile}",
                      time=f"{report.duration:.3f}")
    total = failures = skipped = 0
    sections: dict[str, list[Result]] = {}
    for r in report.results:
        sections.setdefault(r.section, []).append(r)
    for section, items in sections.items():
        n_fail = sum(1 for r in items if r.blocking)
        n_skip = sum(1 for r in items if not r.blocking and r.status is not Status.PASS)
        suite = ET.SubElement(root, "testsuite", name=f"ra1.{section}", tests=str(len(items)),
                              failures=str(n_fail), errors="0", skipped=str(n_skip))
        for r in items:
            _testcase(suite, r)
        total, failures, skipped = total + len(items), failures + n_fail, skipped + n_skip
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
