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
REASON_LATCH_FAULT = 4
REASON_NAMES = {
    0: "secured",
    1: "lock failed",
    2: "no lock hardware",
    3: "never alerted",
    4: "door did not latch",
}
