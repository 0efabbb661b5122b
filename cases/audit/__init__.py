"""The audit trail. `audit_record` is re-exported here because matching/services/search.py
imports it as `cases.audit.audit_record`; new code imports from cases.audit.trail.
"""

from cases.audit.trail import audit_record

__all__ = ["audit_record"]
