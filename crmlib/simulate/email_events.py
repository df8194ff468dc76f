"""What happened to every marketing e-mail: sent, bounced, opened, clicked, unsubscribed.

Each e-mail contact (of an acquisition or a retention campaign whose channel is
e-mail) is sent between ``EMAIL_SEND_HOURS`` on its contact date. Whether it
bounced, and whether its recipient unsubscribed, was decided when it was sent
(a bounced e-mail brings no lead and no offer; an unsubscriber gets no later
e-mail, see :mod:`~crmlib.simulate.people` and
:mod:`~crmlib.simulate.campaigns`). The rest is drawn here, consistent with
the contacts: a prospect who became a lead opened and clicked the e-mail before
the lead's date; a customer who redeemed an e-mailed offer opened it before the
redemption (and clicked it with chance ``email_responder_click``); an
unsubscriber opened it first; anyone else opens it with chance ``email_open``
and then clicks with chance ``email_click``. Opens come a right-skewed while
after sending (``EMAIL_OPEN_DELAY_HOURS``), clicks a minute or so after the open.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.simulate import settings as S
from crmlib.simulate.streams import day_of, to_datetime
from crmlib.simulate.timing import lognormal_days

EVENTS = ["sent", "bounced", "opened", "clicked", "unsubscribed"]


def email_events(rng: np.random.Generator, truth, contacts: pd.DataFrame,
                 channel_of: pd.Series) -> pd.DataFrame:
    """The ``email_events`` table.

    Parameters
    ----------
    contacts : pandas.DataFrame
        The ``contacts`` table with two more columns, ``bounced`` and
        ``unsubscribed`` (bool, decided when the e-mail was sent).
    channel_of : pandas.Series
        Channel of each campaign, indexed by ``campaign_id``.

    Returns
    -------
    pandas.DataFrame
        ``event_id``, ``contact_id``, ``campaign_id``, ``event``, ``event_time``,
        in time order; nothing after the last day of the data.
    """
    mail = contacts[contacts["campaign_id"].map(channel_of).to_numpy() == "email"]
    n = len(mail)
    day = (mail["contact_date"].to_numpy().astype("datetime64[D]") - S.START).astype(np.int64)
    lo, hi = S.EMAIL_SEND_HOURS
    sent = day + (lo + (hi - lo) * rng.random(n)) / 24
    bounced = mail["bounced"].to_numpy(dtype=bool)
    unsub = mail["unsubscribed"].to_numpy(dtype=bool) & ~bounced
    responded = mail["responded"].to_numpy(dtype=bool) & ~bounced
    is_customer = mail["customer_id"].notna().to_numpy()
    rd = mail["response_date"].to_numpy().astype("datetime64[D]")
    resp_day = np.where(responded, (rd - S.START).astype(np.int64), 0)
    # Who opens and clicks.
    u = rng.random((n, 2))
    opened = ~bounced & (responded | unsub | (u[:, 0] < truth.email_open))
    clicked = np.where(responded, np.where(is_customer, u[:, 1] < truth.email_responder_click,
                                           True),
                       opened & ~unsub & (u[:, 1] < truth.email_click))
    # When: a responder opened before the end of the day they responded.
    median, sigma = S.EMAIL_OPEN_DELAY_HOURS
    limit = np.where(responded, (resp_day + 1 - sent) * 24, np.inf)
    open_delay = lognormal_days(rng, median, sigma, n, upper=np.where(
        responded, np.maximum(limit - 0.05, 1e-3), 1e9)) / 24
    opened_t = sent + open_delay
    cm, cs = S.EMAIL_CLICK_DELAY_MINUTES
    click_delay = lognormal_days(rng, cm, cs, n) / 1440
    # A responder's click also comes before the end of the response day.
    clicked_t = np.where(responded, np.minimum(opened_t + click_delay,
                                               (opened_t + resp_day + 1) / 2),
                         opened_t + click_delay)
    clicked_t = np.maximum(clicked_t, opened_t + 1 / 86400)
    unsub_t = opened_t + lognormal_days(rng, 0.5, 1.0, n) / 1440
    bounce_t = sent + lognormal_days(rng, 2.0, 1.0, n) / 1440
    cid = mail["contact_id"].to_numpy()
    camp = mail["campaign_id"].to_numpy()
    parts = []
    for name, who, t in [("sent", np.ones(n, dtype=bool), sent), ("bounced", bounced, bounce_t),
                         ("opened", opened, opened_t), ("clicked", clicked, clicked_t),
                         ("unsubscribed", unsub, unsub_t)]:
        parts.append(pd.DataFrame({"contact_id": cid[who], "campaign_id": camp[who],
                                   "event": name, "t": t[who],
                                   "rank": EVENTS.index(name)}))
    ev = pd.concat(parts, ignore_index=True)
    ev = ev[ev["t"] < day_of(S.END) + 1]
    ev["event_time"] = to_datetime(ev["t"].to_numpy())
    ev = ev.sort_values(["event_time", "contact_id", "rank"], kind="stable", ignore_index=True)
    ev.insert(0, "event_id", np.arange(1, len(ev) + 1))
    return ev[["event_id", "contact_id", "campaign_id", "event", "event_time"]]
