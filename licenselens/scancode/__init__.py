"""Every contact with ScanCode's internals: calls under limits (calls), its results as licenselens types
(convert), facts of its licence index (licensedb) and exact replacements of its slow functions (patches).

Nothing else in licenselens imports ``scancode``, ``licensedcode``, ``cluecode`` or ``packagedcode``.
"""
