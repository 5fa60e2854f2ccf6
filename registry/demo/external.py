"""External listings of the demo catalog: API-only models buyers compare the hosted ones against.

The evaluation figures are illustrative demo values, not results the provider published; an
operator records real ones the same way (`manage.py add_external_listing FILE`).
"""

EXTERNAL_LISTINGS = [
    {
        "repo_id": "openai/o3-mini",
        "provider": "OpenAI",
        "url": "https://platform.openai.com/docs/models/o3-mini",
        "license": "other",
        "license_name": "OpenAI Services Agreement",
        "license_link": "https://openai.com/policies/services-agreement/",
        "industry": "general",
        "task": "text-generation",
        "description": "Proprietary reasoning model, reachable only through OpenAI's API; listed to compare.",
        "tags": ["proprietary", "api"],
        "compliance": {
            "frameworks": ["GDPR"],
            "eu_ai_act_risk": "limited",
            "intended_uses": "Reasoning and drafting through the provider's hosted API.",
            "out_of_scope_uses": "Workloads whose data may not leave the buyer's infrastructure.",
            "data_residency": "Processed in the provider's cloud; see its data processing addendum.",
            "training_data_provenance": "Not disclosed by the provider.",
            "incident_contact": "security@registry.example",
        },
        "evaluations": [
            {
                "benchmark": "Retail QA (demo figure)",
                "metric": "accuracy",
                "value": 0.82,
                "headline": True,
                "source": "illustrative value recorded for the demo catalog",
            },
            {
                "benchmark": "Finance QA (demo figure)",
                "metric": "accuracy",
                "value": 0.79,
                "source": "illustrative value recorded for the demo catalog",
            },
        ],
        "body": (
            "# o3-mini (external listing)\n\n"
            "A proprietary model served by OpenAI's API. **No weights are hosted here**: this registry "
            "lists it so that buyers can compare it with the domain models it does host.\n\n"
            "## Terms\n\nUse is governed by the OpenAI Services Agreement.\n\n"
            "## Evaluation\n\nThe figures shown are illustrative values recorded by the operator for "
            "the demo, not measurements made by this registry.\n"
        ),
    }
]
