"""Integer codes shared by the Plan, both engines and the reports: lock hardware and failure reasons."""

LOCK_CODES = {
    "none": 0,
    "thumbturn": 1,
    "key_inside": 2,
    "key_outside": 3,
    "auto_locking": 4,
    "central": 5,
}
LOCK_NAMES = {v: k for k, v in LOCK_CODES.items()}

#: Reasons a room is not secured (room_reason in Outcomes).
REASON_OK = 0
REASON_LOCK_FAILED = 1
REASON_NO_LOCK = 2
REASON_NOT_ALERTED = 3
REASON_LATCH_FAULT = 4  # sampled: latch_fault_probability (an uncertainty)
REASON_AUDITED_LATCH = 5  # audited door condition latch_fault (a fact)
REASON_NO_KEY = 6  # audited condition no_key_for_substitute, room taught by a substitute
REASON_NAMES = {
    0: "secured",
    1: "lock failed",
    2: "no lock hardware",
    3: "never alerted",
    4: "door did not latch (sampled fault)",
    5: "door does not latch (audited)",
    6: "substitute has no key (audited)",
}

#: Why a room was never secured, in the three groups every output keeps apart: facts of the
#: building from the door audit, sampled faults (an uncertainty), and failed lock attempts.
#: ``never alerted`` is its own group (an alerting gap, not a door problem).
CAUSE_AUDITED = "audited condition"
CAUSE_SAMPLED = "sampled fault"
CAUSE_ATTEMPT = "failed lock attempt"
CAUSE_ALERT = "never alerted"
CAUSES = (CAUSE_AUDITED, CAUSE_SAMPLED, CAUSE_ATTEMPT, CAUSE_ALERT)
REASON_CAUSE = {
    1: CAUSE_ATTEMPT,
    2: CAUSE_AUDITED,
    3: CAUSE_ALERT,
    4: CAUSE_SAMPLED,
    5: CAUSE_AUDITED,
    6: CAUSE_AUDITED,
}

#: Audited door conditions (floorplan connection field ``condition``).
CONDITION_CODES = {"ok": 0, "latch_fault": 1, "propped": 2, "no_key_for_substitute": 3}
COND_OK, COND_LATCH, COND_PROPPED, COND_NO_KEY = 0, 1, 2, 3

#: Door-hold rule "approaching": the adult closes the door this long after the last expected
#: person is in, s (a fixed behavioural step, so that the last person is not refused at the
#: instant the door closes).
HOLD_STEP_S = 1.0
