"""The story's settings and true parameters, in one place.

:class:`HarborTruth` holds every number a lesson estimates and checks against
the truth (model parameters and effect sizes). The module-level constants are
the story's other settings: calendar, catalogue, channels, costs and shares.
Each is named and documented here, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BASE_SEED = 20_231_001

# --------------------------------------------------------------------------- calendar
START = np.datetime64("2023-01-01")  # a Sunday; the first day of the data
END = np.datetime64("2025-12-31")  # the last day of the data
FIRST_CAMPAIGN = np.datetime64("2024-03-04")  # no retention campaign before this day
MEDIA_START = np.datetime64("2025-09-01")  # a Monday: the autumn push begins
MEDIA_WEEKS = 12
# Relative busyness of each calendar month (cafe visits and orders); the
# simulation rescales them so that a whole year averages exactly 1.
MONTH_FACTOR = np.array([0.95, 0.95, 0.98, 1.00, 1.01, 0.98,
                         0.94, 0.94, 1.02, 1.04, 1.05, 1.14])
# Sign-ups grow: the weight of a month rises linearly from 1 to this over 2023-2025.
SIGNUP_GROWTH = 1.5
SIGNUP_MONTH_FACTOR = np.array([1.0, 0.9, 1.0, 1.0, 1.0, 0.95,
                                0.9, 0.9, 1.2, 1.05, 1.1, 1.4])

# --------------------------------------------------------------------------- people
REGIONS = ["Harbourfront", "Old Town", "Northside", "Eastgate", "Westfield"]
REGION_WEIGHTS = [0.28, 0.22, 0.20, 0.16, 0.14]
LIFESTYLES = [  # ordered from most to least frequent buyers
    "Busy commuter",
    "Coffee connoisseur",
    "Social sipper",
    "Home brewer",
    "Occasional treat",
]
LIFESTYLE_SHARES = [0.18, 0.17, 0.22, 0.20, 0.23]
BENEFITS = [  # ordered from highest to lowest spender
    "Quality and taste",
    "Ethical sourcing",
    "Atmosphere",
    "Convenience",
    "Low price",
]
BENEFIT_SHARES = [0.18, 0.14, 0.22, 0.26, 0.20]
# How each lifestyle spreads its visits over the week, Monday to Sunday
# (rescaled to average 1): commuters on weekdays, social sippers at weekends.
WEEKDAY_FACTOR = np.array([
    [1.25, 1.25, 1.25, 1.25, 1.20, 0.45, 0.35],
    [1.00, 0.95, 0.95, 1.00, 1.05, 1.05, 1.00],
    [0.80, 0.75, 0.80, 0.90, 1.20, 1.40, 1.15],
    [0.95, 0.95, 0.95, 0.95, 1.00, 1.10, 1.10],
    [0.80, 0.80, 0.85, 0.90, 1.10, 1.35, 1.20],
])
CHANNELS = ["cafe", "web", "phone"]
PHONE_SHARE = np.array([0.15, 0.12, 0.15, 0.22, 0.45])  # of remote orders, by lifestyle
ORGANIC_CHANNELS = ["cafe walk-in", "web search", "social media", "referral"]
ORGANIC_CHANNEL_WEIGHTS = [0.45, 0.20, 0.15, 0.20]
# Shift of the latent loyalty score by acquisition channel: positive = lower dropout.
CHANNEL_LOYALTY = {
    "referral": 0.8,
    "cafe walk-in": 0.3,
    "sales visit": 0.3,
    "tv offer": -0.2,
    "web search": 0.0,
    "phone": 0.0,
    "email": -0.1,
    "direct mail": -0.1,
    "social media": -0.4,
    "digital ad": -0.5,
}
N_ORGANIC = 16_000  # organic sign-ups, 2023-2025, before the autumn push adds its own

# --------------------------------------------------------------------------- products
# product_id, name, category, list price ($), unit cost ($), durable
PRODUCTS = [
    (101, "Espresso", "Espresso drinks", 3.20, 0.70, False),
    (102, "Cappuccino", "Espresso drinks", 4.40, 1.05, False),
    (103, "Flat white", "Espresso drinks", 4.60, 1.10, False),
    (104, "Latte", "Espresso drinks", 4.70, 1.15, False),
    (105, "Mocha", "Espresso drinks", 5.20, 1.40, False),
    (201, "House filter coffee", "Filter coffee", 3.00, 0.55, False),
    (106, "Iced latte", "Espresso drinks", 5.00, 1.20, False),
    (202, "Cold brew", "Filter coffee", 4.80, 1.00, False),
    (301, "Chai latte", "Tea", 4.50, 1.10, False),
    (302, "Green tea", "Tea", 3.20, 0.50, False),
    (401, "Croissant", "Bakery", 3.50, 1.40, False),
    (402, "Blueberry muffin", "Bakery", 3.80, 1.50, False),
    (403, "Almond biscotti", "Bakery", 2.50, 0.80, False),
    (404, "Banana bread", "Bakery", 3.90, 1.45, False),
    (501, "House Blend beans 250 g", "Whole beans", 15.00, 6.20, False),
    (502, "Ethiopia Yirgacheffe beans 250 g", "Whole beans", 19.50, 8.60, False),
    (503, "Colombia Huila beans 250 g", "Whole beans", 18.00, 7.80, False),
    (504, "Swiss Water decaf beans 250 g", "Whole beans", 17.00, 7.40, False),
    (505, "House Blend beans 1 kg", "Whole beans", 52.00, 22.50, False),
    (601, "House Blend ground 250 g", "Ground coffee", 15.00, 6.30, False),
    (901, "Paper filters (100)", "Brewing supplies", 6.50, 2.20, False),
    (701, "Pour-over dripper", "Brewing equipment", 28.00, 11.00, True),
    (703, "Burr grinder", "Brewing equipment", 149.00, 82.00, True),
    (704, "French press", "Brewing equipment", 39.00, 17.50, True),
    (801, "Reusable cup", "Merchandise", 18.00, 6.50, True),
    (802, "Holiday gift box", "Gifts", 45.00, 21.00, False),
]
CAFE_CATEGORIES = {"Espresso drinks", "Filter coffee", "Tea", "Bakery"}
DRINK_CATEGORIES = {"Espresso drinks", "Filter coffee", "Tea"}
# Favourite products of each taste profile (one per lifestyle, same order).
TASTES = [
    [103, 104, 201, 401, 404, 501, 801],
    [101, 103, 202, 502, 503, 701, 901, 703, 403],
    [102, 104, 105, 301, 402, 404, 501],
    [501, 505, 601, 901, 704, 504, 503, 703],
    [105, 301, 302, 402, 403, 202, 601],
]
# Chance that a customer who already owns a durable product buys it again
# (a replacement or a gift) when a basket would otherwise include it.
DURABLE_REPEAT = 0.04

# --------------------------------------------------------------------------- loyalty card
STAMPS_PER_REWARD = 5  # a free drink after every fifth cafe purchase
COUPON_DAYS = 60  # the free-drink coupon is valid this long
COUPON_REDEEM = 0.9  # chance the next cafe visit within the validity redeems it
COUPON_VALUE = 4.00  # face value of a free-drink coupon, for the accounts

# --------------------------------------------------------------------------- acquisition
PROSPECT_SOURCES = ["site visit", "newsletter sign-up", "enquiry", "free sample"]
PROSPECT_SOURCE_WEIGHTS = [0.42, 0.30, 0.16, 0.12]
PROSPECT_INTERESTS = ["cafe drinks", "beans at home", "gifts", "office coffee"]
PROSPECT_INTEREST_WEIGHTS = [0.40, 0.30, 0.18, 0.12]
# Sources of the prospects who later signed up on their own (the prospects table
# otherwise follows PROSPECT_SOURCE_WEIGHTS): enquiries and samples convert best.
CONVERTER_SOURCE_WEIGHTS = [0.25, 0.25, 0.27, 0.23]
# Stated interest of those prospects, by the lifestyle they turned out to have
# (cafe drinks, beans at home, gifts, office coffee).
INTEREST_BY_LIFESTYLE = np.array([
    [0.60, 0.10, 0.10, 0.20],
    [0.30, 0.50, 0.15, 0.05],
    [0.65, 0.10, 0.20, 0.05],
    [0.10, 0.75, 0.10, 0.05],
    [0.45, 0.10, 0.40, 0.05],
])
N_PROSPECTS = 7000  # prospects who showed interest, 2023-2025
N_SUSPECTS = 3000  # bought-in list of people with no relationship (added 2024-01-15)
SUSPECT_LIST_DATE = np.datetime64("2024-01-15")
CONTACT_CHANNELS = ["email", "direct mail", "phone", "digital ad", "sales visit"]
COST_PER_CONTACT = {
    "email": 0.05,
    "digital ad": 0.02,
    "direct mail": 0.85,
    "phone": 4.50,
    "sales visit": 120.00,
}
CAMPAIGN_SIZE = {"email": 2000, "digital ad": 2500, "direct mail": 900, "phone": 400,
                 "sales visit": 60}
CAMPAIGN_WAVES = {"email": 5, "digital ad": 6, "direct mail": 4, "phone": 3, "sales visit": 2}
WAVE_DAYS = 14  # days between two exposures of one campaign
WELCOME_OFFER = "Welcome offer: first bag of beans half price"


@dataclass(frozen=True)
class HarborTruth:
    """True parameters and effect sizes of the Harbor Coffee simulation.

    Rates are per week unless stated. ``r, alpha, a, b`` are the BG/NBD
    population (purchase rate Gamma(r, alpha), dropout Beta(a, b)); ``p, q,
    gamma`` the Gamma-Gamma spend population each order's target value is
    drawn from; ``sbg_alpha, sbg_beta`` the subscriptions' monthly
    cancellation probabilities, Beta(sbg_alpha, sbg_beta).
    """

    # Purchases (BG/NBD) and spend (Gamma-Gamma).
    r: float = 0.40
    alpha: float = 2.50
    a: float = 0.90
    b: float = 6.00
    p: float = 6.00
    q: float = 3.80
    gamma: float = 16.0  # v3: remote orders only (mean order about $34)
    # Subscriptions (shifted-beta-geometric).
    sbg_alpha: float = 0.85
    sbg_beta: float = 3.40
    # Goal gradient: purchase-rate multiplier by stamps already on the card
    # (0 to 4), rescaled so the mean time to fill a card is unchanged.
    goal_gradient_top: float = 1.40  # rate with 4 stamps over rate with 0 stamps
    # Retention offers (extra purchases a week, while the offer runs).
    offer_peak_rate: float = 0.15  # extra weekly purchase rate at the peak of the effect
    offer_peak_lapse: float = 3.0  # expected purchases missed at which the effect peaks
    offer_weeks: float = 4.0  # how long the offer lifts purchasing
    offer_dropout_cut: float = 0.5  # share of the dropout chance removed at the peak
    offer_dropout_weeks: float = 52.0  # how long the lower dropout chance lasts
    offer_regular_purchases: float = 1.5  # a customer expected to buy this many times during
    # the offer anyway is moved exp(-1) as much: regulars would have bought regardless
    # Acquisition: lead chance at the first exposure by source, times the
    # interest multiplier, times the exposure lift of later waves.
    lead_rate_enquiry: float = 0.040
    # Media push.
    adstock_decay: float = 0.70
    awareness_base: float = 0.08
    awareness_max: float = 0.40
    awareness_k: float = 0.0012
    push_order_lift: float = 0.12  # extra purchase rate of existing customers at full awareness
    push_signups_per_week: float = 60.0  # extra web sign-ups a week at full awareness
    # Call centre.
    calls_per_spot_grp: float = 1.0
    spot_caller_orders: float = 0.55  # share of spot-driven callers who would order
    mean_handle_minutes: float = 5.0  # mean talk time (log-normal, see handle_log_sd)
    mean_patience_minutes: float = 3.0
    # Service: extra chance of leaving right after a ticket that left an experience
    # of 1 or 2 (whether or not the customer answered the survey).
    poor_service_leave: float = 0.35
    # v3: talk times, e-mail, erasure and referrals.
    handle_log_sd: float = 0.7  # sigma of log talk time (talk time is log-normal)
    email_bounce: float = 0.008  # share of marketing e-mails that bounce (hard or soft)
    email_unsubscribe: float = 0.0025  # share of delivered e-mails that end in an unsubscribe
    email_open: float = 0.20  # chance a delivered e-mail is opened, by someone who does not respond
    email_click: float = 0.07  # chance such an opener clicks a link
    email_responder_click: float = 0.35  # share of e-mail offer redeemers who clicked it first
    erasure_breach: float = 0.08  # share of erasure requests never passed to the campaign lists
    referral_same_region: float = 0.80  # share of referrers from the referred friend's region


# Exposure lifts of the lead chance, waves 1 to 6 (rising, then flattening).
EXPOSURE_LIFT = np.array([1.0, 1.6, 1.8, 1.8, 1.6, 1.4])
SOURCE_LEAD_FACTOR = {"enquiry": 1.0, "free sample": 1.25, "newsletter sign-up": 0.45,
                      "site visit": 0.25, "purchased list": 0.12}
INTEREST_LEAD_FACTOR = {"cafe drinks": 0.8, "beans at home": 1.5, "gifts": 0.7,
                        "office coffee": 1.2}
CHANNEL_LEAD_FACTOR = {"email": 0.35, "digital ad": 0.15, "direct mail": 0.9, "phone": 1.6,
                       "sales visit": 4.0}
LEAD_TO_SALE = {"email": 0.30, "digital ad": 0.25, "direct mail": 0.35, "phone": 0.40,
                "sales visit": 0.55}

# --------------------------------------------------------------------------- retention
# (start date, channel, offer value in dollars, share held out as control)
RETENTION_PLAN = [
    ("2024-03-04", "email", 3.00, 0.5),
    ("2024-06-03", "direct mail", 5.00, 0.5),
    ("2024-10-07", "email", 3.00, 0.5),
    ("2025-02-03", "phone", 5.00, 0.5),
    ("2025-04-07", "direct mail", 5.00, 0.5),
    ("2025-06-09", "email", 3.00, 0.5),
]
RETENTION_COST = {"email": 0.05, "direct mail": 0.85, "phone": 4.50}
OFFER_REDEEM = {"email": 0.55, "direct mail": 0.70, "phone": 0.75}
OFFER_REDEEM_DAYS = 21  # the offer can be redeemed this many days after the contact
ELIGIBLE_MIN_TENURE_DAYS = 90  # customers who joined at least this long ago ...
ELIGIBLE_MAX_RECENCY_DAYS = 365  # ... and bought within this many days

# --------------------------------------------------------------------------- media
MEDIA_PLAN = {  # medium: GRPs in each of the 12 weeks (front-loaded)
    "tv": [120, 110, 95, 80, 60, 45, 35, 25, 20, 15, 10, 10],
    "radio": [60, 55, 50, 45, 40, 35, 30, 25, 20, 15, 10, 10],
    "digital": [80, 80, 70, 65, 60, 55, 50, 45, 40, 35, 30, 30],
    "print": [30, 25, 20, 15, 10, 10, 5, 5, 0, 0, 0, 0],
}
COST_PER_GRP = {"tv": 40.0, "radio": 15.0, "digital": 10.0, "print": 20.0}
AWARENESS_SAMPLE = 400
# Rating points one airing delivers, by slot: few viewers in the daytime, most at
# dinner time (prime time), fewer late in the evening.
SPOT_GRP_RANGE = {"day": (3.0, 6.0), "dinner": (9.0, 15.0), "late": (6.0, 10.0)}
GRPS_PER_SPOT = 7.0  # airings bought per week = the week's TV GRPs / this
SPOT_SLOT_SHARES = {"day": 0.62, "dinner": 0.28, "late": 0.10}
# Agents on the phone line by hour (0-23), weekdays and weekends.
# Lean in the daytime (two agents from 09:00 to 18:00), one from 18:00 to closing.
WEEKDAY_AGENTS = [0] * 8 + [1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1] + [0] * 3
WEEKEND_AGENTS = [0] * 9 + [1] * 8 + [0] * 7
# Calls that are not orders (questions about deliveries, tickets, the card, trade):
# per hour while the line is open, more in the daytime (09:00-17:00).
ENQUIRY_CALLS_PER_HOUR = {"day": 6.0, "other": 2.0}
CALLBACK_MINUTES = (10, 90)  # a customer whose order call was lost tries again this later

# --------------------------------------------------------------------------- service
TICKET_RATE = {"cafe": 0.008, "web": 0.07, "phone": 0.05}  # tickets per order
TICKET_TOPICS = {
    "cafe": (["loyalty card", "product quality", "staff"], [0.45, 0.35, 0.20]),
    "web": (["late delivery", "wrong item", "billing", "web account", "product quality"],
            [0.38, 0.17, 0.15, 0.18, 0.12]),
    "phone": (["late delivery", "wrong item", "billing", "product quality"],
              [0.42, 0.22, 0.22, 0.14]),
}
# Mean days to resolve, by topic; satisfaction falls with resolution time.
RESOLUTION_DAYS = {"loyalty card": 1.5, "product quality": 3.0, "staff": 2.0,
                   "late delivery": 5.0, "wrong item": 4.0, "billing": 6.0, "web account": 2.5}
SATISFACTION_TOPIC_SHIFT = {"loyalty card": 0.4, "product quality": -0.2, "staff": -0.3,
                            "late delivery": -0.3, "wrong item": 0.0, "billing": -0.1,
                            "web account": 0.2}
SATISFACTION_PER_DAY = -0.22  # change of the latent satisfaction per day to resolve
OPEN_TICKET_SHARE = 0.02  # tickets still unresolved for reasons unrelated to their age

# --------------------------------------------------------------------------- subscriptions
SUBSCRIPTION_PLANS = {"250 g monthly": 16.50, "500 g monthly": 31.00, "1 kg monthly": 58.00}
SUBSCRIPTION_PLAN_WEIGHTS = [0.55, 0.33, 0.12]
SUBSCRIPTION_START = np.datetime64("2023-03-01")  # the first month subscriptions are sold
# Chance that a web customer of each lifestyle takes up a subscription.
SUBSCRIPTION_TAKE_UP = np.array([0.05, 0.22, 0.03, 0.30, 0.04])

# --------------------------------------------------------------------------- silos
# Rates of the mess in lesson 06's separate customer systems (crmlib.simulate.silos):
# ``<table>.<what>`` applies to one table, a bare name to every table.
SILO_SETTINGS: dict[str, float] = {
    # --- people: shared by every system ------------------------------------------
    "household_share": 0.20,  # customers living with another customer (pairs, same region)
    "family_email_share": 0.60,  # households that use one family e-mail (the first member's)
    "family_email_use": 0.70,  # chance such a household's second member gives it on a record
    "shared_phone_use": 0.50,  # chance a second household member gives the home phone
    "email_change_share": 0.22,  # customers who switch to a new e-mail after signing up
    "old_email_after_change": 0.15,  # chance a record made after the switch has the old one
    "consent_inclined_share": 0.65,  # people inclined to agree to marketing
    "opt_in_inclined": 0.90,  # chance an inclined person ticks the opt-in box
    "opt_in_not_inclined": 0.10,  # chance anyone else does
    # --- typing, in every system unless a table overrides it ------------------------
    "case_mess": 0.20,  # a typed field in other capitals (UPPER, lower, Capitalised)
    "space_mess": 0.10,  # a typed field with stray leading or trailing spaces
    "nickname": 0.15,  # a first name given as a nickname or long form, where one exists
    "name_typo": 0.03,  # a name with one typo
    "email_typo_in_domain": 0.25,  # share of e-mail typos that fall in the domain
    "phone_restyle": 0.50,  # a phone number written in another style (PHONE_STYLES)
    "phone_typo": 0.02,  # a phone number with two digits swapped
    "address_abbrev": 0.35,  # Street/Road/Avenue/Lane written St/Rd/Ave/Ln
    # --- web_accounts: customers who ever ordered on the web -----------------------
    "web_accounts.duplicate": 0.06,  # a second account, opened later with another address
    "web_accounts.email_typo": 0.02,  # mistyped e-mail at sign-up (never confirmed)
    "web_accounts.phone_missing": 0.40,  # the optional delivery phone left blank
    "web_accounts.postcode_missing": 0.05,
    # --- loyalty_cards: cafe customers ---------------------------------------------
    "loyalty_cards.duplicate": 0.07,  # a lost card replaced by a new number
    "loyalty_cards.email_missing": 0.40,  # e-mail left blank on the paper form
    "loyalty_cards.email_typo": 0.08,  # handwriting misread when keyed in
    "loyalty_cards.phone_missing": 0.15,
    "loyalty_cards.initial_only": 0.10,  # first name written as an initial ("J. Smith")
    # --- phone_customers: customers who ever ordered by phone ------------------------
    "phone_customers.duplicate": 0.05,  # a second record after calling from another line
    "phone_customers.email_present": 0.45,  # the caller gave an e-mail for the receipt
    "phone_customers.email_typo": 0.12,  # an address spelt out over the phone
    "phone_customers.name_typo": 0.15,  # a name written as heard
    "phone_customers.address_missing": 0.10,
    # --- service_tickets: contact fields typed by the agent --------------------------
    "service_tickets.email_missing": 0.25,
    "service_tickets.email_typo": 0.05,
    "service_tickets.phone_present": 0.40,
    "service_tickets.name_missing": 0.10,
    # --- coupons: what the till recorded with a loyalty coupon -----------------------
    "coupons.card_only": 0.35,  # card scanned, no e-mail taken
    "coupons.email_only": 0.12,  # no card at hand, e-mail typed for the coupon
    "coupons.nothing": 0.03,  # neither (the rest carry both)
    "coupons.email_typo": 0.04,
    # --- marketing_list ---------------------------------------------------------------
    "marketing_list.news_share": 0.50,  # customers who signed up for news
    "marketing_list.duplicate": 0.10,  # of those, signed up again later at an event
    "marketing_list.again_other_email": 0.50,  # such a second entry has the other address
    "marketing_list.prospect_share": 0.60,  # prospects who left an address
    "marketing_list.suspect_ratio": 0.15,  # bought-in names per customer
    "marketing_list.suspect_other_names": 0.60,  # a bought-in first or last name from
    # the list's own pool rather than the customers' names (each part on its own)
    "marketing_list.customers_on_bought_list": 0.03,  # customers also on the bought list
    "marketing_list.email_typo": 0.03,
    "marketing_list.region_missing": 0.08,
    # --- erasure_requests ---------------------------------------------------------------
    "erasure_requests.customer_share": 0.012,  # customers who ask to be forgotten
    "erasure_requests.list_share": 0.02,  # non-customers on the list who ask to be removed
}

# --------------------------------------------------------------------------- cafes (v3)
# Harbor's business has two parts that follow different stories. Orders from the
# web shop and the phone line ("remote orders", mostly beans) follow BG/NBD exactly
# (buying.py). Cafe visits do not: a core of habitual regulars visits several times
# a week on their own favourite days, beside occasional visitors (cafes.py).
STORES = [  # store_id, name, region, weight of the store within its region
    (1, "Harbourfront Pier", "Harbourfront", 0.6),
    (2, "Harbourfront Market", "Harbourfront", 0.4),
    (3, "Old Town Square", "Old Town", 0.55),
    (4, "Old Town Station", "Old Town", 0.45),
    (5, "Northside", "Northside", 1.0),
    (6, "Eastgate", "Eastgate", 1.0),
    (7, "Westfield Mall", "Westfield", 1.0),
]
HOME_STORE_SHARE = 0.85  # of cafe visits go to the home cafe; the rest to any cafe (home too)
# Share of each lifestyle (same order as LIFESTYLES) who ever visit a cafe among the
# customers whose first order was remote (times REMOTE_FIRST_VISITOR below; everyone whose
# first order was in a cafe is a visitor), and the share of visitors who are regulars.
CAFE_VISITOR = np.array([0.97, 0.90, 0.97, 0.45, 0.85])
REGULAR_SHARE = np.array([0.55, 0.30, 0.28, 0.04, 0.03])
# Customers whose first order was remote visit a cafe less often: their visitor share
# is this times CAFE_VISITOR.
REMOTE_FIRST_VISITOR = 0.6
# Chance that an occasional visitor never comes back after their first visit.
ONE_VISIT_ONLY = 0.5
# A regular's visits a week while the habit lasts: log-normal (median, sigma).
REGULAR_WEEKLY_VISITS = (3.0, 0.35)
# Each regular favours some days of the week: a Gamma(shape, 1/shape) multiplier per
# weekday (mean 1), so one comes every Tuesday and Friday, another every weekday.
REGULAR_DAY_SHAPE = 0.8
REGULAR_MAX_DAILY = 0.9  # chance of a visit on a favourite day never exceeds this
# How long the habit lasts (weeks, log-normal: median, sigma); afterwards the customer
# visits occasionally, like the non-regulars.
REGULAR_HABIT_WEEKS = (45.0, 0.9)
# Occasional visitors: weekly rate Gamma(shape, mean / shape); after each visit they
# stop visiting for good with a chance drawn from Beta(a, b).
OCCASIONAL_WEEKLY_VISITS = (1.2, 0.22)
OCCASIONAL_LEAVE = (1.0, 10.0)
# Days from a web or phone customer's first order to their first cafe visit (log-normal).
FIRST_CAFE_DAYS = (30.0, 1.0)
# Hour a visit starts (07:00 to 18:00), by lifestyle; weekends open an hour later.
CAFE_HOURS = np.arange(7, 19)
CAFE_HOUR_WEIGHTS = np.array([
    # 7    8    9   10   11   12   13   14   15   16   17   18
    [9.0, 9.0, 4.0, 1.5, 1.0, 2.5, 1.5, 0.8, 0.8, 1.0, 2.0, 0.6],
    [3.0, 4.0, 4.0, 3.5, 2.5, 2.0, 2.0, 2.0, 1.5, 1.0, 0.8, 0.4],
    [0.5, 1.0, 1.5, 2.5, 3.0, 3.0, 3.5, 3.5, 3.0, 2.5, 2.0, 1.0],
    [1.0, 2.0, 3.0, 3.0, 2.5, 2.0, 1.5, 1.5, 1.0, 1.0, 0.8, 0.4],
    [0.3, 0.8, 1.2, 2.0, 2.5, 3.0, 3.0, 3.0, 2.5, 2.0, 1.2, 0.6],
])
# Public holidays: the cafes' trade that day relative to a normal day (0 = closed).
HOLIDAYS = {
    "2023-01-01": 0.5, "2023-05-29": 0.7, "2023-07-04": 0.6, "2023-09-04": 0.7,
    "2023-11-23": 0.35, "2023-12-24": 0.6, "2023-12-25": 0.0, "2023-12-31": 0.7,
    "2024-01-01": 0.5, "2024-05-27": 0.7, "2024-07-04": 0.6, "2024-09-02": 0.7,
    "2024-11-28": 0.35, "2024-12-24": 0.6, "2024-12-25": 0.0, "2024-12-31": 0.7,
    "2025-01-01": 0.5, "2025-05-26": 0.7, "2025-07-04": 0.6, "2025-09-01": 0.7,
    "2025-11-27": 0.35, "2025-12-24": 0.6, "2025-12-25": 0.0, "2025-12-31": 0.7,
}
# Mean target value of a cafe visit for a customer of average spend ($); the basket that
# fills it (whole drinks and pastries) comes out a little dearer.
CAFE_MEAN_SPEND = 5.5
# Iced drinks sell in summer: weight of iced drinks in cafe baskets by month.
ICED_MONTH_FACTOR = np.array([0.25, 0.25, 0.5, 0.8, 1.4, 2.4, 3.0, 3.0, 1.8, 0.8, 0.4, 0.25])
ICED_PRODUCTS = (202, 106)

# --------------------------------------------------------------------------- remote orders (v3)
# Share of each lifestyle who ever order beans from the web shop or the phone line
# (customers whose first order is remote are bean buyers by definition).
BEAN_BUYER = np.array([0.30, 0.75, 0.30, 0.95, 0.35])
# Days from a cafe customer's first visit to their first remote order (log-normal).
FIRST_REMOTE_DAYS = (60.0, 1.1)
# The channel of a customer's first order, by how they were acquired (cafe, web, phone).
FIRST_CHANNEL = {
    "cafe walk-in": (0.93, 0.06, 0.01),
    "referral": (0.70, 0.27, 0.03),
    "web search": (0.15, 0.83, 0.02),
    "social media": (0.40, 0.58, 0.02),
    "digital ad": (0.12, 0.86, 0.02),
    "email": (0.10, 0.82, 0.08),
    "direct mail": (0.15, 0.60, 0.25),
    "phone": (0.03, 0.12, 0.85),
    "sales visit": (0.0, 0.70, 0.30),
    "tv offer": (0.0, 0.0, 1.0),
}
# Customers won by these channels agreed their first order with the caller or the
# sales rep: it is not an inbound call on the phone line.
OUTBOUND_CHANNELS = ("phone", "sales visit")
# Remote orders arrive at these hours (web: evenings; phone: while the line is open).
WEB_HOUR_WEIGHTS = np.array([0.6, 0.3, 0.2, 0.1, 0.1, 0.2, 0.5, 1.2, 2.0, 2.5, 2.8, 3.0,
                             3.2, 3.0, 2.8, 2.8, 3.0, 3.5, 4.5, 5.5, 6.0, 5.5, 3.5, 1.5])
PHONE_HOUR_WEIGHTS = np.array([0] * 9 + [3.0, 3.5, 3.5, 3.0, 3.0, 3.0, 2.8, 2.5, 2.0, 1.5,
                                         1.0, 0.8] + [0] * 3, dtype=float)
# Black Friday follows Thanksgiving (the fourth Thursday of November): from Thanksgiving
# to Cyber Monday (days 0-4 from Thanksgiving) web and phone orders run at CYBER_WEEKEND
# times the usual rate, and from the next day to CHRISTMAS_RUN_UP's date at its factor
# (multipliers on the BG/NBD rate, rescaled so that a year averages 1).
CYBER_WEEKEND = 2.2
CHRISTMAS_RUN_UP = (1.35, "12-18")
# Gifts before Christmas: chance that a remote order holds a durable or a gift box.
GIFT_SEASON = ("11-15", "12-20")
GIFT_DURABLE_CHANCE = 0.20  # 0.06 the rest of the year
# Shipping: a fee below a basket value, free at or above it. Shoppers a little below
# the threshold often add an item to reach it.
SHIPPING_FEE = 4.95
FREE_SHIPPING_FROM = 40.00
TOP_UP_WINDOW = 12.00  # baskets within this much below the threshold may top up ...
TOP_UP_CHANCE = 0.55  # ... with this chance
# The bean price rise: coffee costs roughly doubled in 2024 (arabica futures).
PRICE_RISE_DATE = np.datetime64("2025-02-03")
PRICE_RISE = 0.12  # beans and ground coffee, rounded to the next 50 cents
# Offices won by sales visits buy in bulk: this many times the bags of a household.
OFFICE_BULK = 5
# While subscribed, a customer skips this share of the web orders they would make.
SUBSCRIBER_SKIP = 0.6

# =========================================================================== v3: timing,
# satisfaction and marketing operations. Every delay that follows an event is
# right-skewed with a long tail (log-normal): each is given as (median in days,
# sigma of the log), so a tenth of the cases take longer than about
# median * exp(1.28 * sigma). The calendar of working days is below.

# --------------------------------------------------------------------------- working days
# US federal public holidays 2023-2026 (the shop's offices and campaigns rest on
# them; see crmlib.simulate.timing). Saturdays and Sundays are not working days.
PUBLIC_HOLIDAYS = np.array([
    "2023-01-02", "2023-01-16", "2023-02-20", "2023-05-29", "2023-06-19", "2023-07-04",
    "2023-09-04", "2023-10-09", "2023-11-10", "2023-11-23", "2023-12-25",
    "2024-01-01", "2024-01-15", "2024-02-19", "2024-05-27", "2024-06-19", "2024-07-04",
    "2024-09-02", "2024-10-14", "2024-11-11", "2024-11-28", "2024-12-25",
    "2025-01-01", "2025-01-20", "2025-02-17", "2025-05-26", "2025-06-19", "2025-07-04",
    "2025-09-01", "2025-10-13", "2025-11-11", "2025-11-27", "2025-12-25",
    "2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03",
], dtype="datetime64[D]")

# --------------------------------------------------------------------------- campaign calendar
# The twelve prospect campaigns start on working days at irregular intervals:
# the k-th is planned about evenly between these dates, moved by up to this many
# days either way, then to the next working day.
ACQ_CAMPAIGN_WINDOW = ("2023-03-06", "2025-08-04")
ACQ_CAMPAIGN_JITTER_DAYS = 24
# A later wave of a campaign goes out WAVE_DAYS after the previous one, on the
# next working day if that is a holiday.

# --------------------------------------------------------------------------- delays
# Contact to lead, by channel: a phone or sales-visit lead is mostly made on the
# day; e-mail and ads are answered within a day or two, mail within about a week.
RESPONSE_DELAY = {"email": (1.0, 1.1), "digital ad": (1.0, 1.2), "direct mail": (5.0, 0.7),
                  "phone": (0.3, 1.6), "sales visit": (2.0, 1.2)}
# Lead to first purchase (at least one day later), by channel; offices take longest.
LEAD_TO_SALE_DELAY = {"email": (4.0, 0.9), "digital ad": (3.0, 0.9),
                      "direct mail": (6.0, 0.8), "phone": (3.0, 0.9),
                      "sales visit": (14.0, 0.7)}
# First interest (a prospect's first_seen) to sign-up, for customers who were
# prospects before buying on their own.
INTEREST_TO_SIGNUP_DELAY = (30.0, 1.1)
# First web order (or the first month subscriptions are sold) to the subscription.
SUBSCRIPTION_DELAY = (8.0, 1.1)
# Customer sign-up to an erasure request (after at least 30 days).
ERASURE_DELAY = (240.0, 0.9)

# --------------------------------------------------------------------------- deliveries and tickets
DELIVERY_WORKING_DAYS = 2  # a web or phone order usually arrives this many working days later
PROMISED_WORKING_DAYS = 3  # ... and is promised within this many ("late" after that day)
# When a ticket is opened: (counted from, median days, sigma). "order" = the day
# of the order, "delivery" = the usual delivery day, "promise" = the day after
# the promised delivery date (a late-delivery complaint cannot come sooner).
TICKET_DELAY = {
    "late delivery": ("promise", 1.5, 0.8),
    "wrong item": ("delivery", 1.0, 0.9),
    "product quality": ("delivery", 2.0, 1.0),  # cafe orders: counted from the visit
    "billing": ("order", 4.0, 1.0),
    "web account": ("order", 0.5, 1.3),
    "loyalty card": ("order", 0.5, 1.3),
    "staff": ("order", 0.3, 1.3),
}

# --------------------------------------------------------------------------- satisfaction
# The experience a ticket leaves (1-5): latent = SATISFACTION_BASE + topic shift
# + SATISFACTION_PER_DAY x days to resolve + normal noise (sd SATISFACTION_NOISE),
# rounded and cut to 1-5. Most tickets are put right quickly and end well.
SATISFACTION_BASE = 5.0
SATISFACTION_NOISE = 1.1
# Chance that a customer answers the satisfaction survey, by experience 1 to 5:
# those with a very bad or very good experience answer most (J-shaped ratings).
SURVEY_RESPONSE = np.array([0.60, 0.35, 0.12, 0.14, 0.34])

# --------------------------------------------------------------------------- e-mail
EMAIL_SEND_HOURS = (8, 11)  # marketing e-mails go out between 08:00 and 11:00
EMAIL_OPEN_DELAY_HOURS = (3.0, 1.6)  # send to first open: (median hours, sigma)
EMAIL_CLICK_DELAY_MINUTES = (1.0, 1.0)  # open to click

# --------------------------------------------------------------------------- compliance
CAMPAIGN_LIST_LEAD_DAYS = 5  # a campaign's list is drawn this many days before it goes out

# --------------------------------------------------------------------------- people: names,
# contact details, demographics and households (Harbor Coffee v3; stream "contact-details"
# for names and contact details, a child of each buyers' stream for demographics).
# Name lists (crmlib/simulate/names/*.csv): US Census 2000 surname and SSA first-name
# frequencies with a long tail of rarer names; see datasets/README.md for provenance.
# Age: 18 plus a gamma-distributed number of years (shape AGE_SHAPE), whose mean depends on
# the lifestyle (LIFESTYLES order): no pile-up at 18, social sippers youngest, home brewers
# and occasional treaters oldest. Ages above AGE_MAX are drawn again.
AGE_MIN, AGE_MAX = 18, 90
AGE_SHAPE = 2.2
AGE_MEAN_OVER_MIN = np.array([19.5, 21.5, 17.5, 23.5, 25.0])
# Household income (thousand dollars a year): log-normal around INCOME_PEAK times
# exp(curve(age)), the curve interpolated between the points below. Its shape follows the
# US median household income by age of householder (Census CPS: lowest under 25, rising to
# a peak at 45-54, about half the peak from 65).
INCOME_PEAK = 82.0
INCOME_AGE_CURVE = ((18, 25, 30, 40, 50, 60, 70, 90),
                    (-0.62, -0.40, -0.22, -0.04, 0.0, -0.15, -0.50, -0.65))
INCOME_SD = 0.55  # standard deviation of log income around the curve
# Household size (people): the shares of people living in households of 1 to 7 (person-
# weighted, as in the US: about 11% of people live alone though 28% of households are one
# person), assigned by a score that rises with these shifts plus a standard normal noise.
HOUSEHOLD_SIZE_SHARES = [0.13, 0.31, 0.19, 0.20, 0.10, 0.05, 0.02]
HOUSEHOLD_LIFESTYLE_SHIFT = np.array([-0.15, -0.10, -0.25, 0.30, 0.20])
HOUSEHOLD_AGE_SHIFT = ((18, 24, 30, 38, 48, 58, 68, 90),
                       (0.30, -0.10, -0.05, 0.45, 0.35, -0.30, -0.80, -0.90))
# Two customers living together (pairs of SILO_SETTINGS["household_share"] of customers):
# same region and household, partners' ages close; the second takes the first one's
# surname with this chance (Pew 2023: 79% of married women took their husband's name;
# cohabiting partners and some spouses keep their own).
HOUSEHOLD_SAME_SURNAME = 0.75
PARTNER_AGE_SD = 5.0  # spread (years) of the age difference of two customers who live together
# E-mail addresses: how people build the part before the @ (shares), then whether they add
# their birth year (four digits or two) or other digits; the uniqueness loop adds digits
# when the address is taken.
EMAIL_PATTERNS = {
    "first.last": 0.22, "firstlast": 0.13, "flast": 0.12, "first_last": 0.04,
    "last.first": 0.03, "firstl": 0.05, "nick.last": 0.06, "nicklast": 0.03,
    "first": 0.07, "initials": 0.06, "last": 0.04, "word": 0.15,
}
EMAIL_BIRTH_YEAR = 0.16  # four-digit birth year appended
EMAIL_BIRTH_YEAR_2 = 0.07  # two-digit birth year appended
EMAIL_DIGITS = 0.18  # one to three other digits appended
EMAIL_WORDS = (  # handles that carry no name (the "word" pattern)
    "coffee espresso latte mocha harbor tide anchor seagull pelican otter maple cedar "
    "willow river sunny blue green silver golden happy lucky quiet wild salty north "
    "island breeze pixel cosmic jazz guitar runner hiker reader baker gamer chef poet "
    "skipper sailor kayak surfer falcon raven fox wolf bear lynx"
).split()
# Mail providers: a few large ones hold most addresses, a long tail of small ones (local
# internet providers, employers, schools, family domains) the rest, by a power law.
EMAIL_BIG_DOMAINS = {"mail.example": 0.31, "inbox.example": 0.12, "post.example": 0.10,
                     "example.com": 0.06, "example.net": 0.04, "example.org": 0.03}
EMAIL_TAIL_DOMAINS = tuple(
    f"{a}{b}.example" for b in ("net", "mail", "web", "online", "link")
    for a in ("harbor", "bay", "coast", "cedar", "north", "river", "summit", "pine", "lake",
              "valley", "island", "metro"))
EMAIL_TAIL_POWER = 1.1  # the k-th small domain's weight is proportional to k**-power
# Phone numbers: area codes (most local; newcomers keep the number they came with) and a
# fictional 555 exchange; written in the customers table as 360-555-0123.
AREA_CODES = {"360": 0.58, "564": 0.22, "206": 0.06, "503": 0.04, "415": 0.03, "212": 0.02,
              "617": 0.02, "312": 0.02, "512": 0.01}
# How a number is written when it is not written as 360-555-0123 (shares of such numbers):
# the last one leaves out the area code.
PHONE_STYLES = {"({a}) {e}-{l}": 0.30, "{a}.{e}.{l}": 0.10, "{a}{e}{l}": 0.22,
                "{a} {e} {l}": 0.14, "+1 {a} {e} {l}": 0.10, "+1-{a}-{e}-{l}": 0.06,
                "{e}-{l}": 0.08}
# Moving house: each customer moves at this yearly rate after signing up (about 8-9% of
# Americans move each year, Census CPS 2020s; moves inside town keep the region).
MOVE_RATE_PER_YEAR = 0.085
# Chance that a system updates a mover's address when they next order through it (the web
# shop asks for the delivery address; the phone desk often keeps the record it has).
ADDRESS_UPDATE = {"web_accounts": 0.9, "phone_customers": 0.5}
# Spelling rules the phone desk falls back on for a name with no listed sound-alike
# (names/sound_alikes.csv): a name is written as it sounds, one rule at a time.
HEARD_SPELLINGS = (
    ("ph", "f"), (r"^c(?=[aou])", "k"), (r"^k(?=[aou])", "c"), ("ck", "k"),
    (r"(?<=[^aeiou])y$", "ie"), (r"ie$", "y"), (r"ey$", "y"), (r"([bdfglmnprt])\1", r"\1"),
    (r"^([^aeiou]*[aeiou])([lnrt])(?=[aeiou])", r"\1\2\2"), (r"sen$", "son"),
    (r"son$", "sen"), (r"ez$", "es"), (r"^th", "t"), (r"ei(?=[^aeiou])", "ie"),
    (r"ee(?=[^aeiour])", "ea"), (r"ea(?=[^aeiour])", "ee"), (r"c$", "k"), (r"k$", "c"),
)
