"""Phone numbers from fictional ranges (US/Canada 555-01xx, Ofcom and ACMA drama ranges).

Every range here parses as a valid number in `phonenumbers`, and no real subscriber can be reached.
Numbers are stored in E.164; `display` renders the varied ways people type them into a CRM.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_US_AREAS = (
    "201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 224 225 228 229 231 234 239 240 248 "
    "251 252 253 254 256 260 262 267 269 270 276 281 301 302 303 304 305 307 308 309 310 312 313 314 315 316 "
    "317 318 319 320 321 323 330 334 336 337 339 347 351 352 360 361 385 386 401 402 404 405 406 407 408 409 "
    "410 412 413 414 415 417 419 423 424 425 430 432 434 435 440 443 469 470 475 478 479 480 484 501 502 503 "
    "504 505 507 508 509 510 512 513 515 516 517 518 520 530 540 541 551 559 561 562 563 567 570 571 573 574 "
    "575 580 585 586 601 602 603 605 606 607 608 609 610 612 614 615 616 617 618 619 620 623 626 630 631 636 "
    "641 646 650 651 657 660 661 662 678 682 701 702 703 704 706 707 708 712 713 714 715 716 717 718 719 720 "
    "724 727 731 732 734 740 747 754 757 760 762 763 765 770 772 773 774 775 779 781 785 786 801 802 803 804 "
    "805 806 808 810 812 813 814 815 816 817 818 828 830 831 832 843 845 847 848 850 856 857 858 859 860 862 "
    "863 864 865 870 872 878 901 903 904 906 907 908 909 910 912 913 914 915 916 917 918 919 920 925 928 931 "
    "936 937 940 941 947 949 951 952 954 956 970 971 972 973 978 979 980 985 989"
).split()
_CA_AREAS = "204 236 250 289 306 403 416 418 438 514 519 587 604 613 647 705 780 819 902 905".split()
_UK_RANGES = (  # (national significant prefix, digits to add)
    ("2079460", 3), ("1134960", 3), ("1144960", 3), ("1164960", 3), ("1174960", 3), ("1184960", 3),
    ("1214960", 3), ("1314960", 3), ("1414960", 3), ("1514960", 3), ("1614960", 3), ("1914980", 3),
    ("2896496", 3), ("2920180", 3),
)
_AU_RANGES = (("25550", 4), ("37010", 4), ("75550", 4), ("87010", 4))
COUNTRY_CODES = {"US": "1", "CA": "1", "GB": "44", "AU": "61"}


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str
    country: str


class PhoneBook:
    """Draws numbers that were never handed out before, so a number identifies one person."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def new(self, country: str) -> Phone:
        for _ in range(200):
            number = "+" + COUNTRY_CODES[country] + self._national(country)
            if number not in self._used:
                self._used.add(number)
                return Phone(number, country)
        fallback = {"US": "CA", "CA": "GB", "GB": "AU", "AU": "US"}[country]
        return self.new(fallback)

    def _national(self, country: str) -> str:
        rng = self._rng
        if country in ("US", "CA"):
            areas = _US_AREAS if country == "US" else _CA_AREAS
            return f"{rng.choice(areas)}55501{rng.randrange(100):02d}"
        prefix, width = rng.choice(_UK_RANGES if country == "GB" else _AU_RANGES)
        return prefix + f"{rng.randrange(10**width):0{width}d}"


def display(rng: random.Random, phone: Phone, international: bool = False) -> str:
    """One of the ways a person would type this number (all parse back to the same E.164 given the
    number's country). `international` keeps the country code where a national form would be ambiguous
    to a US-based reader, as in Dialpad's call records."""
    digits = phone.e164[1 + len(COUNTRY_CODES[phone.country]):]
    if phone.country in ("US", "CA"):
        area, exchange, line = digits[:3], digits[3:6], digits[6:]
        return rng.choice((
            f"({area}) {exchange}-{line}", f"{area}.{exchange}.{line}", f"{area}-{exchange}-{line}",
            f"+1 {area} {exchange} {line}", phone.e164, f"1-{area}-{exchange}-{line}",
            f"+1 ({area}) {exchange}-{line}", f"({area}) {exchange}-{line} x{rng.randrange(100, 999)}",
        ))
    if phone.country == "GB":
        area_len = 2 if digits.startswith("2") else 3
        area, rest = digits[:area_len], digits[area_len:]
        split = len(rest) - 4
        national = f"0{area} {rest[:split]} {rest[split:]}"
        forms = [f"+44 {area} {rest[:split]} {rest[split:]}", f"+44 (0){national[1:]}", phone.e164]
        return rng.choice(forms if international else [*forms, national])
    area, rest = digits[0], digits[1:]
    forms = [f"+61 {area} {rest[:4]} {rest[4:]}", phone.e164]
    return rng.choice(forms if international else [*forms, f"(0{area}) {rest[:4]} {rest[4:]}"])
