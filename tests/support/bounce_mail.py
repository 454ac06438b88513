"""Bounces as mail servers write them, for the tests: Postfix, Exchange and Gmail delivery status
notifications (RFC 3464), and qmail's plain-text failure notice. Each reports on `original_id` (the
Message-ID of the email that bounced, without angle brackets) sent to `recipient`, and goes to `to`."""

import uuid
from datetime import UTC, datetime
from email.utils import format_datetime


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def _now() -> str:
    return format_datetime(datetime.now(UTC))


def postfix(
    to: str,
    recipient: str,
    original_id: str,
    *,
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = "550 5.1.1 mailbox unavailable",
) -> bytes:
    """Postfix: text, then message/delivery-status, then the original as message/rfc822."""
    delayed = action == "delayed"
    subject = "Delayed Mail (still being retried)" if delayed else "Undelivered Mail Returned to Sender"
    return _crlf(f"""Return-Path: <>
From: MAILER-DAEMON@mail.example.net (Mail Delivery System)
To: {to}
Subject: {subject}
Date: {_now()}
Message-ID: <{uuid.uuid4().hex}@mail.example.net>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="B1.postfix"

This is a MIME-encapsulated message.

--B1.postfix
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.example.com[192.0.2.10] said: {diagnostic}
    (in reply to RCPT TO command)

--B1.postfix
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.net
X-Postfix-Queue-ID: 4Qx1Yz2abc
X-Postfix-Sender: rfc822; hotel@hotels.hub.localhost
Arrival-Date: {_now()}

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; {diagnostic}

--B1.postfix
Content-Description: Undelivered Message
Content-Type: message/rfc822

Return-Path: <hotel@hotels.hub.localhost>
From: Guest services <hotel@hotels.hub.localhost>
To: {recipient}
Subject: Re: Late arrival
Message-ID: <{original_id}>
Date: {_now()}
Content-Type: text/plain; charset=utf-8

Dear guest, your room is ready.

--B1.postfix--
""")


def exchange(
    to: str,
    recipient: str,
    original_id: str,
    *,
    status: str = "5.1.10",
    diagnostic: str = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
) -> bytes:
    """Exchange Online: a text and HTML explanation, message/delivery-status, the original's headers as
    text/rfc822-headers, and X-MS fields."""
    return _crlf(f"""From: Microsoft Outlook <postmaster@outlook.example>
To: <{to}>
Subject: Undeliverable: Re: Late arrival
Date: {_now()}
Message-ID: <{uuid.uuid4().hex}@AM0PR01MB1234.eurprd01.prod.exchangelabs.com>
Auto-Submitted: auto-replied
X-MS-Exchange-Message-Is-Ndr:
X-MS-PublicTrafficType: Email
X-MS-Exchange-Organization-SCL: -1
Content-Language: en-US
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="B2_exchange"

--B2_exchange
Content-Type: multipart/alternative; differences=Content-Type;
\tboundary="B3_exchange"

--B3_exchange
Content-Type: text/plain; charset="us-ascii"

Your message to {recipient} couldn't be delivered.
{recipient.partition("@")[0]} wasn't found at {recipient.partition("@")[2]}.

--B3_exchange
Content-Type: text/html; charset="us-ascii"

<html><body><p>Your message to {recipient} couldn't be delivered.</p></body></html>

--B3_exchange--

--B2_exchange
Content-Type: message/delivery-status

Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.exchangelabs.com
Received-From-MTA: dns;mail.hotels.hub.localhost
Arrival-Date: {_now()}

Original-Recipient: rfc822;{recipient}
Final-Recipient: rfc822;{recipient}
Action: failed
Status: {status}
Diagnostic-Code: smtp;{diagnostic}
X-Display-Name: {recipient}

--B2_exchange
Content-Type: text/rfc822-headers

Received: from mail.hotels.hub.localhost (192.0.2.1) by AM0PR01MB1234.outlook.example
 with Microsoft SMTP Server; {_now()}
From: Guest services <hotel@hotels.hub.localhost>
To: <{recipient}>
Subject: Re: Late arrival
Message-ID:
 <{original_id}>
Date: {_now()}

--B2_exchange--
""")


def gmail(to: str, recipient: str, original_id: str, *, action: str = "failed") -> bytes:
    """Gmail's "Delivery Status Notification (Failure)": an HTML explanation, message/delivery-status with
    X-Original-Message-ID, the original named by In-Reply-To and References; no copy of it."""
    delayed = action == "delayed"
    subject = "Delivery Status Notification (Delay)" if delayed else "Delivery Status Notification (Failure)"
    status, diagnostic = (
        ("4.4.1", "smtp; The recipient server did not accept our requests to connect.")
        if delayed
        else (
            "5.1.1",
            "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
            " 550-5.1.1 double-checking the recipient's email address for typos. - gsmtp",
        )
    )
    return _crlf(f"""From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: {to}
Subject: {subject}
Date: {_now()}
Message-ID: <{uuid.uuid4().hex}@mx.google.com>
Auto-Submitted: auto-replied
References: <{original_id}>
In-Reply-To: <{original_id}>
X-Failed-Recipients: {recipient}
MIME-Version: 1.0
Content-Type: multipart/report; boundary="00000000000044b6a3gmail"; report-type=delivery-status

--00000000000044b6a3gmail
Content-Type: multipart/related; boundary="00000000000044b6b0gmail"

--00000000000044b6b0gmail
Content-Type: text/html; charset="UTF-8"

<html><body><h2>Address not found</h2><p>Your message wasn't delivered to <b>{recipient}</b>
because the address couldn't be found, or is unable to receive mail.</p></body></html>

--00000000000044b6b0gmail--

--00000000000044b6a3gmail
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; hotel@hotels.hub.localhost
Arrival-Date: {_now()}
X-Original-Message-ID: <{original_id}>

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.com. (192.0.2.10, the server for the domain example.com.)
Diagnostic-Code: {diagnostic}
Last-Attempt-Date: {_now()}

--00000000000044b6a3gmail--
""")


def qmail(to: str, recipient: str, original_id: str) -> bytes:
    """qmail's failure notice: plain text, the original copied below a line."""
    return _crlf(f"""From: MAILER-DAEMON@mail.example.org
To: {to}
Subject: failure notice
Date: {_now()}
Message-ID: <{uuid.uuid4().hex}@mail.example.org>

Hi. This is the qmail-send program at mail.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{recipient}>:
192.0.2.10 does not like recipient.
Remote host said: 550 5.1.1 <{recipient}>... User unknown
Giving up on 192.0.2.10.

--- Below this line is a copy of the message.

Return-Path: <hotel@hotels.hub.localhost>
From: Guest services <hotel@hotels.hub.localhost>
To: {recipient}
Subject: Re: Late arrival
Message-ID: <{original_id}>

Dear guest, your room is ready.
""")
