"""License and compliance checks: the license catalogue, license lineage, the per-industry compliance
schema and its consistency rules, and the auditor's report. Pure logic; the database side is
`registry.services.compliance`."""
