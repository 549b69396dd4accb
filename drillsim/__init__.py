"""drillsim: plan and simulate school lockdown and evacuation drills.

Data flow (one module per arrow)::

    floorplan -> scenario -> plan (compile) -> sample (draws) -> engines -> outcomes
              -> metrics -> reports

The threat is only ever an abstract scenario input; every outcome is protective (time to alert,
time to secure, unsecured person-seconds, evacuation time, response time).
"""

__version__ = "0.1.0"
