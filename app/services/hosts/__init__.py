"""Session hosts: the worker processes that run programs, and the pool that supervises them.

``pool`` lives in the serving process; ``host`` is the worker's side; ``protocol`` is what they
say to each other. The design is written down in ``docs/hosts.md``.
"""
