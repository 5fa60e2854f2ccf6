"""The audit log as auditors read it: sign-ins recorded from Django's auth signals, and a read-only
admin view of every security-relevant event (registry.AuditEvent rows, written by the services)."""
