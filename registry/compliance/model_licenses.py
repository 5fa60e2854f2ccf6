"""The model licenses that SPDX lacks (Llama, Gemma, OpenRAIL, ...), curated by hand.

Each entry states what a buyer asks about: commercial use, redistribution, attribution, share-alike,
use restrictions and what a derivative (fine-tune, merge, quantization) must carry. The summaries
are an aid for readers, not legal advice; `url` links the official text.
"""

from __future__ import annotations

from .licenses import DerivativeTerms, License


def _model(
    key: str,
    name: str,
    url: str,
    summary: str,
    *,
    commercial: bool,
    terms: str,
    family: str,
    aliases: tuple[str, ...] = (),
    attribution: bool = True,
    restrictions: bool = True,
) -> License:
    return License(
        id=key,
        name=name,
        kind="model",
        url=url,
        commercial_use=commercial,
        redistribution=True,
        derivatives=True,
        attribution=attribution,
        share_alike=False,
        use_restrictions=restrictions,
        derivative_terms=terms,
        family=family,
        summary=summary,
        category="Proprietary Free" if commercial else "Source-available",
        aliases=aliases,
    )


_LLAMA_COMMON = (
    "Commercial use allowed, except that licensees with more than 700 million monthly active users "
    "need a separate license from Meta. Redistribution and derivatives must include a copy of the "
    "agreement and follow Meta's Acceptable Use Policy."
)
_RAIL = (
    "Responsible AI License: use, redistribution and derivatives allowed, commercially too, but the "
    "use-based restrictions of its attachment apply and must be passed on, as an enforceable "
    "provision, to every recipient and every derivative model."
)
_RESTRICTED = (
    "Research and evaluation only: no commercial or production use. Derivatives and redistribution "
    "stay under the same agreement."
)

MODEL_LICENSES: tuple[License, ...] = (
    _model(
        "llama2",
        "Llama 2 Community License Agreement",
        "https://ai.meta.com/llama/license/",
        _LLAMA_COMMON + " Llama 2 outputs may not be used to improve other large language models.",
        commercial=True,
        terms=DerivativeTerms.SAME_FAMILY,
        family="llama",
        aliases=("llama-2", "LicenseRef-scancode-llama-2-license-2023"),
    ),
    _model(
        "llama3",
        "Meta Llama 3 Community License Agreement",
        "https://llama.meta.com/llama3/license/",
        _LLAMA_COMMON + ' Show "Built with Meta Llama 3"; derived model names begin with "Llama 3".',
        commercial=True,
        terms=DerivativeTerms.SAME_FAMILY,
        family="llama",
        aliases=("llama-3",),
    ),
    _model(
        "llama3.1",
        "Llama 3.1 Community License Agreement",
        "https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE",
        _LLAMA_COMMON + ' Show "Built with Llama"; derived model names begin with "Llama".',
        commercial=True,
        terms=DerivativeTerms.SAME_FAMILY,
        family="llama",
        aliases=("llama-3.1", "LicenseRef-scancode-llama-3.1-license-2024"),
    ),
    _model(
        "llama3.2",
        "Llama 3.2 Community License Agreement",
        "https://github.com/meta-llama/llama-models/blob/main/models/llama3_2/LICENSE",
        _LLAMA_COMMON
        + ' Show "Built with Llama". The Acceptable Use Policy withholds the multimodal models from '
        "individuals and companies domiciled in the EU.",
        commercial=True,
        terms=DerivativeTerms.SAME_FAMILY,
        family="llama",
        aliases=("llama-3.2", "LicenseRef-scancode-llama-3.2-license-2024"),
    ),
    _model(
        "llama3.3",
        "Llama 3.3 Community License Agreement",
        "https://github.com/meta-llama/llama-models/blob/main/models/llama3_3/LICENSE",
        _LLAMA_COMMON + ' Show "Built with Llama"; derived model names begin with "Llama".',
        commercial=True,
        terms=DerivativeTerms.SAME_FAMILY,
        family="llama",
        aliases=("llama-3.3", "LicenseRef-scancode-llama-3.3-license-2024"),
    ),
    _model(
        "llama4",
        "Llama 4 Community License Agreement",
        "https://github.com/meta-llama/llama-models/blob/main/models/llama4/LICENSE",
        _LLAMA_COMMON + ' Show "Built with Llama"; derived model names begin with "Llama".',
        commercial=True,
        terms=DerivativeTerms.SAME_FAMILY,
        family="llama",
        aliases=("llama-4", "LicenseRef-scancode-llama-4-license-2025"),
    ),
    _model(
        "gemma",
        "Gemma Terms of Use",
        "https://ai.google.dev/gemma/terms",
        "Commercial use allowed under Google's Gemma Prohibited Use Policy. Redistributing Gemma or a "
        'model derivative requires a copy of the terms, the notice "Gemma is provided under and subject '
        'to the Gemma Terms of Use found at ai.google.dev/gemma/terms", and the use restrictions of '
        "section 3.2 as an enforceable provision of the derivative's own terms.",
        commercial=True,
        terms=DerivativeTerms.SAME_FAMILY,
        family="gemma",
        aliases=("gemma-terms", "LicenseRef-scancode-gemma-tou-2024-04-01"),
    ),
    _model(
        "openrail",
        "Open RAIL license (generic)",
        "https://www.licenses.ai/",
        _RAIL,
        commercial=True,
        terms=DerivativeTerms.USE_RESTRICTIONS,
        family="openrail",
    ),
    _model(
        "openrail++",
        "CreativeML OpenRAIL++-M License",
        "https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0/blob/main/LICENSE.md",
        _RAIL,
        commercial=True,
        terms=DerivativeTerms.USE_RESTRICTIONS,
        family="openrail",
    ),
    _model(
        "creativeml-openrail-m",
        "CreativeML OpenRAIL-M License",
        "https://huggingface.co/spaces/CompVis/stable-diffusion-license",
        _RAIL,
        commercial=True,
        terms=DerivativeTerms.USE_RESTRICTIONS,
        family="openrail",
    ),
    _model(
        "bigscience-openrail-m",
        "BigScience OpenRAIL-M License",
        "https://bigscience.huggingface.co/blog/bigscience-openrail-m",
        _RAIL,
        commercial=True,
        terms=DerivativeTerms.USE_RESTRICTIONS,
        family="openrail",
        aliases=("LicenseRef-scancode-bigscience-open-rail-m",),
    ),
    _model(
        "bigscience-bloom-rail-1.0",
        "BigScience RAIL License v1.0",
        "https://huggingface.co/spaces/bigscience/license",
        _RAIL,
        commercial=True,
        terms=DerivativeTerms.USE_RESTRICTIONS,
        family="openrail",
        aliases=("LicenseRef-scancode-bigscience-rail-1.0",),
    ),
    _model(
        "bigcode-openrail-m",
        "BigCode OpenRAIL-M v1 License Agreement",
        "https://huggingface.co/spaces/bigcode/bigcode-model-license-agreement",
        _RAIL,
        commercial=True,
        terms=DerivativeTerms.USE_RESTRICTIONS,
        family="openrail",
        aliases=("LicenseRef-scancode-bigcode-open-rail-m-v1",),
    ),
    _model(
        "deepseek",
        "DeepSeek License Agreement v1.0",
        "https://github.com/deepseek-ai/DeepSeek-LLM/blob/HEAD/LICENSE-MODEL",
        "Commercial use allowed under the use-based restrictions of its attachment, which must be "
        "passed on to every recipient and every derivative model.",
        commercial=True,
        terms=DerivativeTerms.USE_RESTRICTIONS,
        family="openrail",  # modelled on OpenRAIL-M
        aliases=("deepseek-license", "LicenseRef-scancode-deepseek-la-1.0"),
    ),
    _model(
        "qwen",
        "Qwen License Agreement",
        "https://huggingface.co/Qwen/Qwen2.5-72B-Instruct/blob/main/LICENSE",
        "Commercial use allowed, except above 100 million monthly active users without a license from "
        'Alibaba Cloud. Redistribution includes the agreement; derivatives show "Built with Qwen".',
        commercial=True,
        terms=DerivativeTerms.SAME_FAMILY,
        family="qwen",
        aliases=("tongyi-qianwen", "qwen-license"),
    ),
    _model(
        "qwen-research",
        "Qwen Research License Agreement",
        "https://huggingface.co/Qwen/Qwen2.5-3B/blob/main/LICENSE",
        _RESTRICTED,
        commercial=False,
        terms=DerivativeTerms.SAME_FAMILY,
        family="qwen-research",
    ),
    _model(
        "mnpl-0.1",
        "Mistral AI Non-Production License v0.1",
        "https://mistral.ai/licenses/MNPL-0.1.md",
        _RESTRICTED,
        commercial=False,
        terms=DerivativeTerms.SAME_FAMILY,
        family="mistral-mnpl",
        aliases=("mnpl",),
    ),
    _model(
        "mrl-0.1",
        "Mistral AI Research License v0.1",
        "https://mistral.ai/licenses/MRL-0.1.md",
        _RESTRICTED,
        commercial=False,
        terms=DerivativeTerms.SAME_FAMILY,
        family="mistral-mrl",
        aliases=("mrl",),
    ),
    _model(
        "deepfloyd-if-license",
        "DeepFloyd IF License Agreement",
        "https://huggingface.co/spaces/DeepFloyd/deepfloyd-if-license",
        _RESTRICTED,
        commercial=False,
        terms=DerivativeTerms.SAME_FAMILY,
        family="deepfloyd",
    ),
)
