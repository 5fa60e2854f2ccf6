"""Plain-language summaries of the licenses models commonly carry, with a link to the full text.

A summary is a reading aid, not legal advice: the page always links the full text, preferring the
LICENSE file the version itself ships.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LicenseSummary:
    key: str
    name: str
    summary: str
    url: str
    commercial_use: bool | None  # None: allowed only under conditions worth reading


KNOWN = {
    s.key: s
    for s in (
        LicenseSummary(
            "apache-2.0",
            "Apache License 2.0",
            "Permissive: use, modify and redistribute, commercially too; keep the notices and state "
            "your changes; includes a patent grant.",
            "https://www.apache.org/licenses/LICENSE-2.0",
            True,
        ),
        LicenseSummary(
            "mit",
            "MIT License",
            "Permissive: do almost anything, commercially too, as long as the copyright notice stays.",
            "https://opensource.org/license/mit",
            True,
        ),
        LicenseSummary(
            "bsd-3-clause",
            "BSD 3-Clause License",
            "Permissive: keep the notice; do not use the authors' names to promote derived products.",
            "https://opensource.org/license/bsd-3-clause",
            True,
        ),
        LicenseSummary(
            "cc-by-4.0",
            "Creative Commons Attribution 4.0",
            "Use and adapt, commercially too, with attribution.",
            "https://creativecommons.org/licenses/by/4.0/legalcode",
            True,
        ),
        LicenseSummary(
            "cc-by-nc-4.0",
            "Creative Commons Attribution-NonCommercial 4.0",
            "Use and adapt with attribution, for non-commercial purposes only.",
            "https://creativecommons.org/licenses/by-nc/4.0/legalcode",
            False,
        ),
        LicenseSummary(
            "gemma",
            "Gemma Terms of Use",
            "Commercial use allowed, subject to Google's prohibited-use policy, which passes on to "
            "anyone you share the model or its derivatives with.",
            "https://ai.google.dev/gemma/terms",
            None,
        ),
        LicenseSummary(
            "llama3",
            "Llama 3 Community License",
            "Commercial use allowed below 700 million monthly active users; attribution and Meta's "
            "acceptable-use policy apply.",
            "https://www.llama.com/llama3/license/",
            None,
        ),
        LicenseSummary(
            "openrail",
            "Open RAIL License",
            "Open use with behavioural restrictions on harmful applications, passed on to derivatives.",
            "https://www.licenses.ai/",
            None,
        ),
    )
}
LICENSE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "license.md", "license.txt")


def summary_for(license_id: str) -> LicenseSummary | None:
    return KNOWN.get((license_id or "").strip().lower())
