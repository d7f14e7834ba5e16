# Lens table export plugin for lenscore
# Copyright (C) 2023 Jane Plugin
#
# This program is free software: you can redistribute it and/or modify
# it under the terms of the GNU General Public License as published by
# the Free Software Foundation, either version 3 of the License, or
# (at your option) any later version.
#
# This program is distributed in the hope that it will be useful,
# but WITHOUT ANY WARRANTY; without even the implied warranty of
# MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
# GNU General Public License for more details.
#
# You should have received a copy of the GNU General Public License
# along with this program.  If not, see <https://www.gnu.org/licenses/>.
"""Optional plugin: render lens data as a fixed-width table."""


def render_table(rows, width=12):
    """Return rows of (name, focal_length) as a fixed-width text table."""
    header = "name".ljust(width) + "focal".rjust(width)
    lines = [header, "-" * len(header)]
    for name, focal in rows:
        lines.append(str(name).ljust(width) + f"{focal:.3f}".rjust(width))
    return "\n".join(lines)


def register(registry):
    registry["table"] = render_table
