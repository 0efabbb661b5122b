"""The audit trail (`trail`), the registry of audit events (`events`), sign-in auditing."""
