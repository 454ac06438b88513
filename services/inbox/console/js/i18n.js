// French and English: the agent's setting, else the browser's language; switchable at any time.
// Dates are shown in the time zone of the request's hotel, whatever the agent's computer says.

const MESSAGES = {
  en: {
    "app.name": "Hotel hub",
    "login.email": "Email", "login.password": "Password", "login.submit": "Sign in",
    "login.failed": "Wrong email or password.",
    "login.wait": "Too many sign-in attempts; try again in {seconds} s.",
    "top.language": "Language", "top.help": "Keyboard shortcuts (?)", "top.logout": "Sign out",
    "top.hotels": "Hotel settings",
    "hotel.title": "Hotel settings", "hotel.hotel": "Hotel", "hotel.name": "Name",
    "hotel.short_name": "Short name", "hotel.short_name_hint": "Shown on the rows of a list that mixes hotels (at most 20 characters).",
    "hotel.emails": "Emails to guests", "hotel.sender_name": "Sender name",
    "hotel.sender_name_hint": "Empty: the hotel's name.", "hotel.sender_email": "Sender address",
    "hotel.language": "Language", "hotel.language_hint": "The language of the emails the hub writes for the hotel.",
    "hotel.language_fr": "French", "hotel.language_en": "English", "hotel.saved": "{hotel}: settings saved.",
    "hotel.bot": "Chatbot", "hotel.bot_none": "No chatbot: the hotel's chats go straight to the inbox.",
    "hotel.bot_on": "Chatbot “{name}”: new chats start with it; it is called at {url}.",
    "hotel.bot_name": "Bot name", "hotel.webhook_url": "Webhook address", "hotel.secret": "Secret",
    "hotel.bot_secret_hint": "32 to 200 characters; signs each webhook call. Never shown again: give it anew with each change.",
    "hotel.bot_save": "Save the chatbot", "hotel.bot_remove": "Remove the chatbot",
    "hotel.bot_saved": "Chatbot “{name}” saved.", "hotel.bot_removed": "Chatbot removed.",
    "hotel.hours": "Business hours", "hotel.hours_hint": "Response-time targets count only the hours the desk is open.",
    "hotel.hours_zone": "Times in the hotel's time zone ({zone}).", "hotel.always_open": "Open 24/7",
    "hotel.day_mon": "Monday", "hotel.day_tue": "Tuesday", "hotel.day_wed": "Wednesday", "hotel.day_thu": "Thursday",
    "hotel.day_fri": "Friday", "hotel.day_sat": "Saturday", "hotel.day_sun": "Sunday",
    "hotel.hours_from": "Opens at", "hotel.hours_to": "Closes at", "hotel.hours_add": "Add a range",
    "hotel.hours_remove": "Remove", "hotel.hours_overnight": "until the next day",
    "hotel.hours_none": "Add at least one opening range, or choose “Open 24/7”.",
    "hotel.closures": "Closures", "hotel.closures_hint": "Holidays and exceptional closures: whole days, from the first to the last.",
    "hotel.closure_start": "From", "hotel.closure_end": "To (optional)", "hotel.closure_label": "Label",
    "hotel.closure_add": "Add a closure",
    "hotel.survey": "Satisfaction survey", "hotel.survey_hint": "Guests whose request is closed on these channels are asked for a 1–5 rating.",
    "live.connected": "Live", "live.connecting": "Connecting…", "live.offline": "Offline, retrying…",
    "view.inbox": "Inbox", "view.open": "Open", "view.on_hold": "On hold", "view.closed": "Done",
    "view.spam": "Spam", "view.all": "All",
    "bucket.on_hold": "On hold", "bucket.alerts": "Alerts", "bucket.new": "New",
    "filters.search": "Search: guest, subject, text", "filters.label": "Label",
    "filters.location": "All my hotels", "filters.group": "All groups", "filters.channel": "All channels",
    "filters.assignee": "Anyone", "filters.me": "Assigned to me", "filters.nobody": "Unassigned",
    "filters.someone": "Assigned",
    "channel.email": "Email", "channel.form": "Web form", "channel.chat": "Chat", "channel.review": "Review",
    "channel.phone": "Phone",
    "list.empty": "No request here.", "list.more": "More", "list.unread": "Unread", "list.alert": "Alert",
    "alert.negative_wording": "Alert: negative wording", "alert.low_rating": "Alert: low rating",
    "list.no_subject": "(no subject)", "list.unknown_guest": "Unknown guest",
    // Response-time targets (due.js): rows, the sort and due filters, the header, the timeline.
    "sort.activity": "Most recent", "sort.due": "Due first", "filters.due": "Any due time",
    "filters.due_soon": "Due soon", "filters.overdue": "Overdue",
    "due.in": "due in {time}", "due.overdue": "overdue by {time}", "due.paused": "paused",
    "due.minutes": "{count} min", "due.hours": "{count} h", "due.days": "{count} d",
    "sla.target.first_response": "First response", "sla.target.resolution": "Resolution",
    "sla.running": "{target}: due {time}", "sla.paused": "{target}: paused ({time} left)",
    "sla.met": "{target}: met", "sla.missed": "{target}: missed (due {time})",
    "sla.escalated": "Escalated: {why}, {action}",
    "sla.why.first_response.missed": "first response overdue",
    "sla.why.first_response.nearly_missed": "first response nearly overdue",
    "sla.why.resolution.missed": "resolution overdue", "sla.why.resolution.nearly_missed": "resolution nearly overdue",
    "sla.action.to_group": "handed to {group}", "sla.action.notify_managers": "managers notified",
    "sla.action.notify_assignee": "assignee notified",
    "entry.sla.missed": "Target missed: {target}", "entry.sla.changed": "Target changed: {target}",
    "entry.notified": "notified: {names}", "entry.survey_rating": "Guest's rating: {rating}/5", "entry.survey_sent": "Satisfaction survey sent to {to}",
    "status.open": "Open", "status.on_hold": "On hold", "status.closed": "Done", "status.spam": "Spam",
    "priority.low": "Low", "priority.medium": "Medium", "priority.high": "High",
    "conversation.none": "Select a request.", "conversation.until": "until {time}",
    "conversation.edit_subject": "Edit the subject", "conversation.save": "Save", "conversation.cancel": "Cancel",
    "conversation.viewing": "{names} also has this request open.",
    "conversation.rating": "Rating {rating}/{scale}",
    "review.from": "Review on {platform}", "review.open": "See it on {platform}", "conversation.load_failed": "This request could not be loaded.",
    "action.assign": "Assign", "action.assign_me": "Assign to me", "action.unassign": "Unassign",
    "action.status": "Status", "action.snooze": "Put on hold", "action.qualify": "Qualify",
    "action.labels": "Labels", "action.spam": "Spam", "action.not_spam": "Not spam",
    "action.forward": "Forward", "action.delegate": "Delegate to customer service", "action.share": "Share",
    "action.call": "Call", "action.reservation": "Reservation", "action.close_chat": "End the chat",
    "action.solicit": "Solicit", "action.close": "Mark as done", "action.reopen": "Reopen", "action.more": "More",
    "snooze.hour": "In 1 hour", "snooze.tomorrow": "Tomorrow 9:00", "snooze.monday": "Next Monday 9:00",
    "snooze.until": "Until (hotel time)", "snooze.submit": "Put on hold",
    "qualify.reason": "Contact reason", "qualify.priority": "Priority", "qualify.none": "—",
    "labels.help": "Labels, separated by commas",
    "forward.to": "Colleague's email", "share.to": "Emails, separated by commas", "handover.note": "Note",
    "delegate.to": "The request goes to the customer-service address set for the chain.",
    "call.dial": "Call {phone}", "call.outcome": "Outcome", "call.duration": "Duration (minutes)",
    "call.notes": "Notes", "call.no_phone": "No phone number is known for this guest.",
    "outcome.reached": "Reached", "outcome.no_answer": "No answer", "outcome.voicemail": "Voicemail",
    "outcome.wrong_number": "Wrong number",
    "reservation.kind": "Kind", "reservation.date": "Date", "reservation.party": "People",
    "reservation.reference": "Reference", "reservation.notes": "Notes",
    "kind.room": "Room", "kind.restaurant": "Restaurant", "kind.spa": "Spa", "kind.transfer": "Transfer",
    "close_chat.status": "The request becomes", "close_chat.submit": "End the chat",
    "solicit.to": "To", "solicit.subject": "Subject", "solicit.text": "Message", "solicit.attach": "Attachment",
    "solicit.send": "Send", "solicit.answer": "Answer", "solicit.thread": "Solicitation to {to}",
    "solicit.locked": "The recipient of a thread cannot change.",
    "common.submit": "Save", "common.cancel": "Cancel", "common.close": "Close", "common.send": "Send",
    "composer.reply": "Reply", "composer.note": "Internal note", "composer.templates": "Templates",
    "format.bold": "Bold", "format.italic": "Italic", "format.list": "List",
    "composer.attach": "Attach files", "composer.image": "Insert an image (or paste one into the text)", "composer.placeholder": "Write your reply… (Ctrl+Enter sends)",
    "composer.note_placeholder": "Write a note for your colleagues… (Ctrl+Enter adds it)",
    "composer.by_email": "Reply by email to {to}", "composer.by_chat": "Reply in the live chat",
    "composer.chat_closed": "The chat has ended: the reply goes by email to {to}",
    "composer.no_address": "This guest left no email address: call them or add a note.",
    "composer.no_templates": "No template.", "composer.sending": "Sending…", "composer.remove": "Remove",
    "entry.guest": "Guest", "entry.system": "System", "entry.note": "Internal note",
    "entry.reply": "Reply", "entry.status": "Status: {from} → {to}", "entry.assigned": "Assigned to {name}",
    "entry.unassigned": "Unassigned", "entry.subject": "Subject changed to “{to}”",
    "entry.qualification": "Qualified", "entry.labels": "Labels: {labels}", "entry.call": "Call: {outcome}",
    "entry.reservation": { one: "Reservation: {kind}, {date}, {party} person", other: "Reservation: {kind}, {date}, {party} people" },
    "entry.forward": "Forwarded to {to}",
    "entry.delegate": "Delegated to {to}", "entry.share": "Shared with {to}",
    "entry.contact_link": "Linked to a contact", "entry.html": "Formatted version",
    "entry.remote_images": "Load remote images ({count})", "entry.by": "by {name}",
    "entry.reason.snooze_expired": "hold time passed", "entry.reason.guest_wrote": "the guest wrote",
    "entry.reason.chat_closed": "chat ended", "entry.reason.handed_over": "handed over",
    "bot.badge": "Bot", "bot.handling": "The hotel's chatbot is handling this request", "action.take_over": "Take over",
    "entry.reservation_intent": "Reservation intent: {kind}",
    "delivery.pending": "Sending", "delivery.queued": "Queued", "delivery.sent": "Sent",
    "delivery.failed": "Failed", "delivery.delivered": "Delivered",
    "delivery.bounced": "Not delivered", "delivery.delayed": "Delivery delayed",
    // A public reply to a review, as its platform reports it.
    "public.pending": "Awaiting publication", "public.queued": "Awaiting publication", "public.sent": "Published",
    "public.failed": "Rejected by the platform", "public.edited": "Edited on the platform",
    "public.deleted": "Deleted on the platform", "public.label": "Public reply on {platform}",
    "public.edited_comment": "Its text there now: “{comment}”",
    "public.deleting": "Being removed from the platform", "public.removed": "Removed by the hotel",
    "public.remove": "Remove from {platform}", "public.remove_title": "Remove the reply from {platform}?",
    "public.remove_confirm": "The public reply will be taken down from {platform}: readers will no longer see it. The review stays.",
    "public.removal_failed": "Removal refused by the platform: {reason}",
    "entry.reply_removal": "Removal from {platform} requested by {name}",
    "removal.pending": "in progress", "removal.queued": "in progress", "removal.sent": "done", "removal.failed": "refused",
    "entry.review_reply.edited": "Reply edited on {platform}: “{comment}”",
    "entry.review_reply.deleted": "Reply taken down on {platform}",
    "composer.via": "Answer", "composer.via_public": "Public reply on {platform}",
    "composer.via_email": "Private email to {to}", "composer.public_line": "The reply is published on {platform}, for everyone to read.",
    "entry.automatic_reply": "Automatic reply", "entry.approved_by": "approved by {name}",
    "auto_reply.scheduled": "Automatic reply scheduled for {time}", "auto_reply.waiting_approval": "Automatic reply waiting for approval",
    "auto_reply.discarded": "Automatic reply discarded", "auto_reply.cancelled": "Automatic reply cancelled (an agent answered)",
    "auto_reply.panel": "Automatic reply prepared by a rule", "auto_reply.approve": "Approve and publish",
    "auto_reply.discard": "Discard", "auto_reply.due": "Published automatically at {time} unless discarded.",
    "auto_reply.rules": "Automatic review replies", "auto_reply.none": "No rule yet.",
    "auto_reply.name": "Name", "auto_reply.hotel": "Hotel", "auto_reply.all_hotels": "All hotels (chain-wide)",
    "auto_reply.platform": "Platform", "auto_reply.any_platform": "Any platform", "auto_reply.ratings": "Stars",
    "auto_reply.text": "Text", "auto_reply.text_any": "With or without text", "auto_reply.text_yes": "With a text",
    "auto_reply.text_no": "Rating only", "auto_reply.template_fr": "Reply in French", "auto_reply.template_en": "Reply in English",
    "auto_reply.delay": "Delay (minutes)", "auto_reply.needs_approval": "Needs an agent's approval",
    "auto_reply.add": "Add the rule", "auto_reply.delete": "Delete", "auto_reply.open": "Automatic replies",
    "reports.open": "Reports", "reports.title": "Response times and satisfaction", "reports.period_label": "Period",
    "reports.last_days": "Last {n} days", "reports.group": "Group", "reports.all_hotels": "All my hotels",
    "reports.period": "From {start} to {end} (requests by their creation day in the hotel's time zone)",
    "reports.hint": "Times in business minutes (the hotel's business hours). Spam and automatic replies are not counted.",
    "reports.hotel": "Hotel", "reports.requests": "Requests", "reports.requests_daily": "Requests per day",
    "reports.response_rate": "Response rate", "reports.rate_daily": "Response rate per day",
    "reports.median": "Median first response", "reports.p90": "90% answered within",
    "reports.within_target": "Within target", "reports.alerts": "Alerts · within target", "reports.csat": "Satisfaction",
    "reports.total": "Total", "reports.none": "No hotel.", "reports.minutes": "{n} min", "reports.hours": "{h} h {m}",
    "policy.open": "Response times", "policy.title": "Response-time policies",
    "policy.hint": "Targets in business minutes (the hotels' business hours). A new request takes its groups' policy before a chain-wide one, alerts-only before general, then the lowest position.",
    "policy.none": "No policy yet.", "policy.new": "New policy", "policy.editing": "Editing “{name}”",
    "policy.name": "Name", "policy.group": "Group of hotels", "policy.chain_wide": "Chain-wide (every hotel)",
    "policy.channels": "Channels (none ticked: every channel)", "policy.all_channels": "every channel",
    "policy.alerts_only": "Alerts only (e.g. low-rated reviews)", "policy.alerts": "alerts only",
    "policy.first_response": "First response within (business minutes)", "policy.resolution": "Resolution within (business minutes)",
    "policy.pause_on_hold": "Pause the targets while a request is on hold",
    "policy.position": "Position", "policy.position_hint": "Among policies that match alike, the lowest position applies.",
    "policy.escalation": "Escalation steps",
    "policy.escalation_hint": "Minutes from the due time: −30 = 30 min before (nearly missed), 0 = when missed, 60 = an hour after.",
    "policy.step_target": "Target", "policy.step_at": "Minutes from the due time", "policy.step_minutes": "min",
    "policy.step_action": "Action", "policy.step_group": "Care group", "policy.step_group_none": "Choose a care group",
    "policy.target_first_response": "First response", "policy.target_resolution": "Resolution",
    "policy.action_notify_assignee": "Notify the assignee", "policy.action_notify_managers": "Notify the managers",
    "policy.action_to_group": "Hand over to a care group",
    "policy.add_step": "Add a step", "policy.remove_step": "Remove",
    "policy.create": "Create the policy", "policy.save": "Save the policy", "policy.edit": "Edit", "policy.delete": "Delete",
    "policy.saved": "Policy “{name}” saved.", "policy.deleted": "Policy “{name}” deleted.",
    "policy.first_response_in": "first response in {time}", "policy.resolution_in": "resolution in {time}",
    "policy.steps": { one: "{count} escalation step", other: "{count} escalation steps" },
    "entry.ambiguous_sender": "The sender's address is ambiguous (the From header names several addresses): it was linked to no contact; check who wrote before answering.",
    "entry.automatic": "Automatic reply (out of office, acknowledgement): it reopened nothing.",
    "entry.forwarded": "Forwarded email — From {from}, {date}, {subject}",
    "entry.forwarded_unknown": "unknown", "entry.forwarded_no_subject": "(no subject)",
    // Texts the hub writes itself (shared/system_texts.py, whose English these must be).
    "text.call.inbound": "Inbound call from {caller}, {duration}.",
    "text.call.outbound": "Outbound call from {caller}, {duration}.",
    "text.call.missed": "Missed call from {caller}, {duration}.",
    "text.call.recording": "Recording: {recording_url}", "text.call.subject": "Call from {caller}",
    "text.message.no_text": "(no text)", "text.review.rating_only": "(rating only)",
    "text.review.deleted": "The review was deleted on the platform.",
    "text.review.subject": "{platform} review", "text.duration": "{minutes} min {seconds} s",
    // Headquarters' attributes (HUB_CONTACTS_ATTRIBUTES); another is shown by its name, made readable.
    "attribute.age": "Age", "attribute.segment": "Segment", "attribute.purchase_amount": "Purchase amount",
    "attribute.loyalty_tier": "Loyalty tier", "attribute.loyalty_points": "Loyalty points", "attribute.vip": "VIP",
    "attribute.birth_date": "Date of birth", "attribute.last_stay": "Last stay", "attribute.nights": "Nights",
    "attribute.preferred_language": "Preferred language", "attribute.customer_id": "Customer ID",
    "profile.guest": "Guest", "profile.contact": "Contact", "profile.attributes": "From headquarters",
    "profile.others": "Other requests", "profile.no_contact": "Not linked to a contact.",
    "profile.link": "Link to another contact", "profile.create": "Create a contact",
    "profile.merge": "Merge another contact into this one", "profile.search": "Name, email or phone",
    "profile.first_name": "First name", "profile.last_name": "Last name", "profile.email": "Email",
    "profile.phone": "Phone", "profile.none": "None.", "profile.hotels": "Hotels",
    "profile.bounced": "mail not delivered",
    "profile.edit": "Edit name and phone", "profile.saved": "Contact saved.",
    "help.title": "Keyboard shortcuts", "help.jk": "Next / previous request", "help.enter": "Open the selected request",
    "help.r": "Reply", "help.e": "Mark the request as done", "help.send": "Send the reply or the note",
    "help.help": "This help", "help.esc": "Close a window",
    "toast.saved": "Done.", "toast.new": "New request: {subject}", "toast.new_many": "{count} new requests",
    "toast.dismiss": "Dismiss", "toast.error": "Not done: {detail}",
  },
  fr: {
    "app.name": "Hotel hub",
    "login.email": "E-mail", "login.password": "Mot de passe", "login.submit": "Se connecter",
    "login.failed": "E-mail ou mot de passe incorrect.",
    "login.wait": "Trop de tentatives de connexion ; réessayez dans {seconds} s.",
    "top.language": "Langue", "top.help": "Raccourcis clavier (?)", "top.logout": "Se déconnecter",
    "top.hotels": "Réglages des hôtels",
    "hotel.title": "Réglages de l’hôtel", "hotel.hotel": "Hôtel", "hotel.name": "Nom",
    "hotel.short_name": "Nom court", "hotel.short_name_hint": "Affiché sur les lignes d’une liste qui mêle plusieurs hôtels (20 caractères au plus).",
    "hotel.emails": "E-mails aux clients", "hotel.sender_name": "Nom de l’expéditeur",
    "hotel.sender_name_hint": "Vide : le nom de l’hôtel.", "hotel.sender_email": "Adresse de l’expéditeur",
    "hotel.language": "Langue", "hotel.language_hint": "La langue des e-mails que le hub écrit pour l’hôtel.",
    "hotel.language_fr": "Français", "hotel.language_en": "Anglais", "hotel.saved": "{hotel} : réglages enregistrés.",
    "hotel.bot": "Chatbot", "hotel.bot_none": "Aucun chatbot : les chats de l’hôtel arrivent directement dans la boîte.",
    "hotel.bot_on": "Chatbot « {name} » : les nouveaux chats commencent avec lui ; il est appelé à {url}.",
    "hotel.bot_name": "Nom du bot", "hotel.webhook_url": "Adresse du webhook", "hotel.secret": "Secret",
    "hotel.bot_secret_hint": "32 à 200 caractères ; signe chaque appel du webhook. Jamais réaffiché : le redonner à chaque modification.",
    "hotel.bot_save": "Enregistrer le chatbot", "hotel.bot_remove": "Retirer le chatbot",
    "hotel.bot_saved": "Chatbot « {name} » enregistré.", "hotel.bot_removed": "Chatbot retiré.",
    "hotel.hours": "Horaires d’ouverture", "hotel.hours_hint": "Les délais de réponse ne comptent que les heures d’ouverture.",
    "hotel.hours_zone": "Heures dans le fuseau horaire de l’hôtel ({zone}).", "hotel.always_open": "Ouvert 24 h/24",
    "hotel.day_mon": "Lundi", "hotel.day_tue": "Mardi", "hotel.day_wed": "Mercredi", "hotel.day_thu": "Jeudi",
    "hotel.day_fri": "Vendredi", "hotel.day_sat": "Samedi", "hotel.day_sun": "Dimanche",
    "hotel.hours_from": "Ouvre à", "hotel.hours_to": "Ferme à", "hotel.hours_add": "Ajouter une plage",
    "hotel.hours_remove": "Retirer", "hotel.hours_overnight": "jusqu’au lendemain",
    "hotel.hours_none": "Ajoutez au moins une plage d’ouverture, ou choisissez « Ouvert 24 h/24 ».",
    "hotel.closures": "Fermetures", "hotel.closures_hint": "Jours fériés et fermetures exceptionnelles : journées entières, du premier au dernier jour.",
    "hotel.closure_start": "Du", "hotel.closure_end": "Au (facultatif)", "hotel.closure_label": "Libellé",
    "hotel.closure_add": "Ajouter une fermeture",
    "hotel.survey": "Enquête de satisfaction", "hotel.survey_hint": "Les clients dont la demande est close sur ces canaux sont invités à noter de 1 à 5.",
    "live.connected": "En direct", "live.connecting": "Connexion…", "live.offline": "Hors ligne, nouvelle tentative…",
    "view.inbox": "Boîte de réception", "view.open": "Ouvertes", "view.on_hold": "En attente",
    "view.closed": "Terminées", "view.spam": "Spam", "view.all": "Toutes",
    "bucket.on_hold": "En attente", "bucket.alerts": "Alertes", "bucket.new": "Nouveaux messages",
    "filters.search": "Rechercher : client, objet, texte", "filters.label": "Étiquette",
    "filters.location": "Tous mes établissements", "filters.group": "Tous les groupes",
    "filters.channel": "Tous les canaux", "filters.assignee": "Tout le monde", "filters.me": "Assignées à moi",
    "filters.nobody": "Non assignées", "filters.someone": "Assignées",
    "channel.email": "E-mail", "channel.form": "Formulaire", "channel.chat": "Chat", "channel.review": "Avis",
    "channel.phone": "Téléphone",
    "list.empty": "Aucune demande ici.", "list.more": "Plus", "list.unread": "Non lue", "list.alert": "Alerte",
    "alert.negative_wording": "Alerte : propos très négatifs", "alert.low_rating": "Alerte : note basse",
    "list.no_subject": "(sans objet)", "list.unknown_guest": "Client inconnu",
    // Délais de réponse (due.js) : lignes, tri et filtre, en-tête, historique.
    "sort.activity": "Activité récente", "sort.due": "À traiter d’abord", "filters.due": "Toutes échéances",
    "filters.due_soon": "Bientôt dus", "filters.overdue": "En retard",
    "due.in": "dû dans {time}", "due.overdue": "en retard de {time}", "due.paused": "en pause",
    "due.minutes": "{count} min", "due.hours": "{count} h", "due.days": "{count} j",
    "sla.target.first_response": "Première réponse", "sla.target.resolution": "Résolution",
    "sla.running": "{target} : due le {time}", "sla.paused": "{target} : en pause (reste {time})",
    "sla.met": "{target} : respectée", "sla.missed": "{target} : dépassée (due le {time})",
    "sla.escalated": "Escaladée : {why}, {action}",
    "sla.why.first_response.missed": "délai de première réponse dépassé",
    "sla.why.first_response.nearly_missed": "délai de première réponse bientôt dépassé",
    "sla.why.resolution.missed": "délai de résolution dépassé",
    "sla.why.resolution.nearly_missed": "délai de résolution bientôt dépassé",
    "sla.action.to_group": "confiée à {group}", "sla.action.notify_managers": "responsables prévenus",
    "sla.action.notify_assignee": "agent assigné prévenu",
    "entry.sla.missed": "Délai dépassé : {target}", "entry.sla.changed": "Délai modifié : {target}",
    "entry.notified": "prévenus : {names}", "entry.survey_rating": "Note du client : {rating}/5", "entry.survey_sent": "Questionnaire de satisfaction envoyé à {to}",
    "status.open": "Ouverte", "status.on_hold": "En attente", "status.closed": "Terminée", "status.spam": "Spam",
    "priority.low": "Basse", "priority.medium": "Moyenne", "priority.high": "Haute",
    "conversation.none": "Sélectionnez une demande.", "conversation.until": "jusqu’au {time}",
    "conversation.edit_subject": "Modifier l’objet", "conversation.save": "Valider",
    "conversation.cancel": "Annuler", "conversation.viewing": "{names} consulte aussi cette demande.",
    "conversation.rating": "Note {rating}/{scale}",
    "review.from": "Avis sur {platform}", "review.open": "Le voir sur {platform}", "conversation.load_failed": "Cette demande n’a pas pu être chargée.",
    "action.assign": "Assigner", "action.assign_me": "M’assigner", "action.unassign": "Désassigner",
    "action.status": "Statut", "action.snooze": "Mettre en attente", "action.qualify": "Qualifier",
    "action.labels": "Étiquettes", "action.spam": "Spam", "action.not_spam": "Pas un spam",
    "action.forward": "Transférer", "action.delegate": "Déléguer au service client", "action.share": "Partager",
    "action.call": "Appeler", "action.reservation": "Réservation", "action.close_chat": "Mettre fin au chat",
    "action.solicit": "Solliciter", "action.close": "Terminer", "action.reopen": "Rouvrir", "action.more": "Plus",
    "snooze.hour": "Dans 1 heure", "snooze.tomorrow": "Demain 9:00", "snooze.monday": "Lundi prochain 9:00",
    "snooze.until": "Jusqu’au (heure de l’hôtel)", "snooze.submit": "Mettre en attente",
    "qualify.reason": "Motif de contact", "qualify.priority": "Priorité", "qualify.none": "—",
    "labels.help": "Étiquettes, séparées par des virgules",
    "forward.to": "E-mail du collaborateur", "share.to": "E-mails, séparés par des virgules",
    "handover.note": "Note",
    "delegate.to": "La demande part à l’adresse du service client paramétrée pour la chaîne.",
    "call.dial": "Appeler le {phone}", "call.outcome": "Résultat", "call.duration": "Durée (minutes)",
    "call.notes": "Notes", "call.no_phone": "Aucun numéro de téléphone connu pour ce client.",
    "outcome.reached": "Joint", "outcome.no_answer": "Pas de réponse", "outcome.voicemail": "Messagerie",
    "outcome.wrong_number": "Mauvais numéro",
    "reservation.kind": "Type", "reservation.date": "Date", "reservation.party": "Personnes",
    "reservation.reference": "Référence", "reservation.notes": "Notes",
    "kind.room": "Chambre", "kind.restaurant": "Restaurant", "kind.spa": "Spa", "kind.transfer": "Transfert",
    "close_chat.status": "La demande devient", "close_chat.submit": "Mettre fin au chat",
    "solicit.to": "Destinataire", "solicit.subject": "Objet", "solicit.text": "Message",
    "solicit.attach": "Pièce jointe", "solicit.send": "Envoyer", "solicit.answer": "Répondre",
    "solicit.thread": "Sollicitation de {to}", "solicit.locked": "Le destinataire d’un fil ne change pas.",
    "common.submit": "Valider", "common.cancel": "Annuler", "common.close": "Fermer", "common.send": "Envoyer",
    "composer.reply": "Réponse", "composer.note": "Note interne", "composer.templates": "Modèles de réponse",
    "format.bold": "Gras", "format.italic": "Italique", "format.list": "Liste",
    "composer.attach": "Joindre des fichiers", "composer.image": "Insérer une image (ou la coller dans le texte)",
    "composer.placeholder": "Rédigez votre réponse… (Ctrl+Entrée pour envoyer)",
    "composer.note_placeholder": "Une note pour vos collègues… (Ctrl+Entrée pour l’ajouter)",
    "composer.by_email": "Réponse par e-mail à {to}", "composer.by_chat": "Réponse dans le chat en direct",
    "composer.chat_closed": "Le chat est terminé : la réponse part par e-mail à {to}",
    "composer.no_address": "Ce client n’a pas laissé d’e-mail : appelez-le ou ajoutez une note.",
    "composer.no_templates": "Aucun modèle.", "composer.sending": "Envoi…", "composer.remove": "Retirer",
    "entry.guest": "Client", "entry.system": "Système", "entry.note": "Note interne",
    "entry.reply": "Réponse", "entry.status": "Statut : {from} → {to}", "entry.assigned": "Assignée à {name}",
    "entry.unassigned": "Désassignée", "entry.subject": "Objet modifié : « {to} »",
    "entry.qualification": "Qualifiée", "entry.labels": "Étiquettes : {labels}", "entry.call": "Appel : {outcome}",
    "entry.reservation": { one: "Réservation : {kind}, {date}, {party} personne", other: "Réservation : {kind}, {date}, {party} personnes" },
    "entry.forward": "Transférée à {to}",
    "entry.delegate": "Déléguée à {to}", "entry.share": "Partagée avec {to}",
    "entry.contact_link": "Rattachée à un contact", "entry.html": "Version mise en forme",
    "entry.remote_images": "Charger les images distantes ({count})", "entry.by": "par {name}",
    "entry.reason.snooze_expired": "fin de l’attente", "entry.reason.guest_wrote": "le client a écrit",
    "entry.reason.chat_closed": "fin du chat", "entry.reason.handed_over": "reprise par un agent",
    "bot.badge": "Bot", "bot.handling": "Le chatbot de l’hôtel traite cette demande", "action.take_over": "Prendre la main",
    "entry.reservation_intent": "Intention de réservation : {kind}",
    "delivery.pending": "En cours d’envoi", "delivery.queued": "En file", "delivery.sent": "Envoyé",
    "delivery.failed": "Échec", "delivery.delivered": "Remis",
    "delivery.bounced": "Non distribué", "delivery.delayed": "Distribution retardée",
    "public.pending": "En attente de publication", "public.queued": "En attente de publication", "public.sent": "Publiée",
    "public.failed": "Refusée par la plateforme", "public.edited": "Modifiée sur la plateforme",
    "public.deleted": "Supprimée sur la plateforme", "public.label": "Réponse publique sur {platform}",
    "public.edited_comment": "Son texte là-bas désormais : « {comment} »",
    "public.deleting": "En cours de retrait de la plateforme", "public.removed": "Retirée par l’hôtel",
    "public.remove": "Retirer de {platform}", "public.remove_title": "Retirer la réponse de {platform} ?",
    "public.remove_confirm": "La réponse publique sera retirée de {platform} : les lecteurs ne la verront plus. L’avis reste.",
    "public.removal_failed": "Retrait refusé par la plateforme : {reason}",
    "entry.reply_removal": "Retrait de {platform} demandé par {name}",
    "removal.pending": "en cours", "removal.queued": "en cours", "removal.sent": "effectué", "removal.failed": "refusé",
    "entry.review_reply.edited": "Réponse modifiée sur {platform} : « {comment} »",
    "entry.review_reply.deleted": "Réponse retirée de {platform}",
    "composer.via": "Répondre", "composer.via_public": "Réponse publique sur {platform}",
    "composer.via_email": "E-mail privé à {to}", "composer.public_line": "La réponse est publiée sur {platform}, lisible par tous.",
    "entry.automatic_reply": "Réponse automatique", "entry.approved_by": "approuvée par {name}",
    "auto_reply.scheduled": "Réponse automatique prévue à {time}", "auto_reply.waiting_approval": "Réponse automatique en attente d’approbation",
    "auto_reply.discarded": "Réponse automatique écartée", "auto_reply.cancelled": "Réponse automatique annulée (un agent a répondu)",
    "auto_reply.panel": "Réponse automatique préparée par une règle", "auto_reply.approve": "Approuver et publier",
    "auto_reply.discard": "Écarter", "auto_reply.due": "Publiée automatiquement à {time} sauf si elle est écartée.",
    "auto_reply.rules": "Réponses automatiques aux avis", "auto_reply.none": "Aucune règle.",
    "auto_reply.name": "Nom", "auto_reply.hotel": "Hôtel", "auto_reply.all_hotels": "Tous les hôtels (toute la chaîne)",
    "auto_reply.platform": "Plateforme", "auto_reply.any_platform": "Toute plateforme", "auto_reply.ratings": "Étoiles",
    "auto_reply.text": "Texte", "auto_reply.text_any": "Avec ou sans texte", "auto_reply.text_yes": "Avec un texte",
    "auto_reply.text_no": "Note seule", "auto_reply.template_fr": "Réponse en français", "auto_reply.template_en": "Réponse en anglais",
    "auto_reply.delay": "Délai (minutes)", "auto_reply.needs_approval": "Approbation d’un agent requise",
    "auto_reply.add": "Ajouter la règle", "auto_reply.delete": "Supprimer", "auto_reply.open": "Réponses automatiques",
    "reports.open": "Rapports", "reports.title": "Délais de réponse et satisfaction", "reports.period_label": "Période",
    "reports.last_days": "{n} derniers jours", "reports.group": "Groupe", "reports.all_hotels": "Tous mes hôtels",
    "reports.period": "Du {start} au {end} (demandes selon leur jour de création, à l’heure de l’hôtel)",
    "reports.hint": "Délais en minutes ouvrées (les horaires d’ouverture de l’hôtel). Le spam et les réponses automatiques ne comptent pas.",
    "reports.hotel": "Hôtel", "reports.requests": "Demandes", "reports.requests_daily": "Demandes par jour",
    "reports.response_rate": "Taux de réponse", "reports.rate_daily": "Taux de réponse par jour",
    "reports.median": "Première réponse (médiane)", "reports.p90": "90 % répondues en",
    "reports.within_target": "Dans les délais", "reports.alerts": "Alertes · dans les délais", "reports.csat": "Satisfaction",
    "reports.total": "Total", "reports.none": "Aucun hôtel.", "reports.minutes": "{n} min", "reports.hours": "{h} h {m}",
    "policy.open": "Délais de réponse", "policy.title": "Politiques de délais de réponse",
    "policy.hint": "Délais en minutes ouvrées (les horaires d’ouverture des hôtels). Une nouvelle demande prend la politique de ses groupes avant celle de toute la chaîne, celle des alertes avant la générale, puis la position la plus basse.",
    "policy.none": "Aucune politique.", "policy.new": "Nouvelle politique", "policy.editing": "Modification de « {name} »",
    "policy.name": "Nom", "policy.group": "Groupe d’hôtels", "policy.chain_wide": "Toute la chaîne (tous les hôtels)",
    "policy.channels": "Canaux (aucun coché : tous les canaux)", "policy.all_channels": "tous les canaux",
    "policy.alerts_only": "Alertes seulement (ex. avis mal notés)", "policy.alerts": "alertes seulement",
    "policy.first_response": "Première réponse sous (minutes ouvrées)", "policy.resolution": "Résolution sous (minutes ouvrées)",
    "policy.pause_on_hold": "Suspendre les délais pendant la mise en attente",
    "policy.position": "Position", "policy.position_hint": "Entre politiques qui conviennent autant, la position la plus basse s’applique.",
    "policy.escalation": "Étapes d’escalade",
    "policy.escalation_hint": "Minutes par rapport à l’échéance : −30 = 30 min avant (presque manquée), 0 = à l’échéance manquée, 60 = une heure après.",
    "policy.step_target": "Délai", "policy.step_at": "Minutes par rapport à l’échéance", "policy.step_minutes": "min",
    "policy.step_action": "Action", "policy.step_group": "Groupe service client", "policy.step_group_none": "Choisir un groupe service client",
    "policy.target_first_response": "Première réponse", "policy.target_resolution": "Résolution",
    "policy.action_notify_assignee": "Prévenir l’agent assigné", "policy.action_notify_managers": "Prévenir les responsables",
    "policy.action_to_group": "Confier à un groupe service client",
    "policy.add_step": "Ajouter une étape", "policy.remove_step": "Retirer",
    "policy.create": "Créer la politique", "policy.save": "Enregistrer la politique", "policy.edit": "Modifier", "policy.delete": "Supprimer",
    "policy.saved": "Politique « {name} » enregistrée.", "policy.deleted": "Politique « {name} » supprimée.",
    "policy.first_response_in": "première réponse sous {time}", "policy.resolution_in": "résolution sous {time}",
    "policy.steps": { one: "{count} étape d’escalade", other: "{count} étapes d’escalade" },
    "entry.ambiguous_sender": "L’adresse de l’expéditeur est ambiguë (l’en-tête From nomme plusieurs adresses) : le message n’est lié à aucun contact ; vérifiez qui écrit avant de répondre.",
    "entry.automatic": "Réponse automatique (absence, accusé de réception) : elle n’a rien rouvert.",
    "entry.forwarded": "E-mail transféré — De {from}, {date}, {subject}",
    "entry.forwarded_unknown": "inconnu", "entry.forwarded_no_subject": "(sans objet)",
    "text.call.inbound": "Appel entrant de {caller}, {duration}.",
    "text.call.outbound": "Appel sortant vers {caller}, {duration}.",
    "text.call.missed": "Appel manqué de {caller}, {duration}.",
    "text.call.recording": "Enregistrement : {recording_url}", "text.call.subject": "Appel de {caller}",
    "text.message.no_text": "(sans texte)", "text.review.rating_only": "(note seule)",
    "text.review.deleted": "L’avis a été supprimé sur la plateforme.",
    "text.review.subject": "Avis {platform}", "text.duration": "{minutes} min {seconds} s",
    "attribute.age": "Âge", "attribute.segment": "Segment", "attribute.purchase_amount": "Montant des achats",
    "attribute.loyalty_tier": "Niveau de fidélité", "attribute.loyalty_points": "Points de fidélité",
    "attribute.vip": "VIP", "attribute.birth_date": "Date de naissance", "attribute.last_stay": "Dernier séjour",
    "attribute.nights": "Nuitées", "attribute.preferred_language": "Langue préférée",
    "attribute.customer_id": "Numéro client",
    "profile.guest": "Client", "profile.contact": "Contact", "profile.attributes": "Informations du siège",
    "profile.others": "Autres demandes", "profile.no_contact": "Pas de contact rattaché.",
    "profile.link": "Lier à un autre contact", "profile.create": "Créer un contact",
    "profile.merge": "Fusionner un autre contact dans celui-ci", "profile.search": "Nom, e-mail ou téléphone",
    "profile.first_name": "Prénom", "profile.last_name": "Nom", "profile.email": "E-mail",
    "profile.phone": "Téléphone", "profile.none": "Aucune.", "profile.hotels": "Établissements",
    "profile.bounced": "courrier non distribué",
    "profile.edit": "Modifier le nom et le téléphone", "profile.saved": "Contact enregistré.",
    "help.title": "Raccourcis clavier", "help.jk": "Demande suivante / précédente",
    "help.enter": "Ouvrir la demande sélectionnée", "help.r": "Répondre", "help.e": "Terminer la demande",
    "help.send": "Envoyer la réponse ou la note", "help.help": "Cette aide", "help.esc": "Fermer une fenêtre",
    "toast.saved": "C’est fait.", "toast.new": "Nouvelle demande : {subject}", "toast.new_many": "{count} nouvelles demandes",
    "toast.dismiss": "Fermer", "toast.error": "Échec : {detail}",
  },
};

let language = "en";

export function pickLanguage(agentLanguage) {
  const stored = localStorage.getItem("hub-console-language");
  if (stored === "fr" || stored === "en") return stored;
  if (agentLanguage === "fr" || agentLanguage === "en") return agentLanguage;
  return (navigator.language || "en").toLowerCase().startsWith("fr") ? "fr" : "en";
}

export function setLanguage(lang) {
  language = lang === "fr" ? "fr" : "en";
  document.documentElement.lang = language;
}

export function currentLanguage() {
  return language;
}

export function hasMessage(key) {
  return key in MESSAGES[language] || key in MESSAGES.en;
}

const pluralRules = new Map();
/** The form a count takes in the current language: "one" (1 in English; 0 and 1 in French) or "other"… */
function pluralForm(count) {
  if (!pluralRules.has(language)) pluralRules.set(language, new Intl.PluralRules(language === "fr" ? "fr-FR" : "en-GB"));
  return pluralRules.get(language).select(Number(count) || 0);
}

/** A message with its {placeholders} filled; one with plural forms takes the form of `params.count`. */
export function t(key, params = {}) {
  let text = MESSAGES[language][key] ?? MESSAGES.en[key] ?? key;
  if (typeof text === "object") text = text[pluralForm(params.count)] ?? text.other;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? ""));
}

/** Translate the static page: data-i18n (text), data-i18n-placeholder, data-i18n-title. */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
  for (const element of root.querySelectorAll("[data-i18n-title]")) {
    element.title = t(element.dataset.i18nTitle);
    element.setAttribute("aria-label", element.title);
  }
}

const formats = new Map();
function formatter(timeZone, options) {
  const key = `${language}|${timeZone}|${JSON.stringify(options)}`;
  if (!formats.has(key)) {
    try {
      formats.set(key, new Intl.DateTimeFormat(language === "fr" ? "fr-FR" : "en-GB", { timeZone, ...options }));
    } catch {
      formats.set(key, new Intl.DateTimeFormat(language === "fr" ? "fr-FR" : "en-GB", options));
    }
  }
  return formats.get(key);
}

/** A date-time in the hotel's time zone: the time alone if it is today there, else day and time. */
export function formatWhen(value, timeZone, { full = false } = {}) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const day = formatter(timeZone, { year: "numeric", month: "2-digit", day: "2-digit" });
  if (!full && day.format(date) === day.format(new Date())) {
    return formatter(timeZone, { hour: "2-digit", minute: "2-digit" }).format(date);
  }
  return formatter(timeZone, { day: "numeric", month: "short", year: full ? "numeric" : undefined,
    hour: "2-digit", minute: "2-digit" }).format(date);
}

/** The wall-clock parts of `date` in `timeZone`. */
export function zonedParts(date, timeZone) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", weekday: "short",
  });
  for (const part of format.formatToParts(date)) parts[part.type] = part.value;
  return parts;
}

function offsetAt(utcMillis, timeZone) {
  const p = zonedParts(new Date(utcMillis), timeZone);
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return asUtc - Math.floor(utcMillis / 1000) * 1000;
}

/** "2026-11-23T14:30[:05]" read as a wall-clock time in `timeZone` -> the instant (a Date). */
export function fromZoned(local, timeZone) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(local || "");
  if (!match) return null;
  const [, y, mo, d, hh, mm, ss] = match;
  const guess = Date.UTC(+y, +mo - 1, +d, +hh, +mm, +(ss || 0));
  let instant = guess - offsetAt(guess, timeZone);
  instant = guess - offsetAt(instant, timeZone);  // the offset on the day itself (DST changes)
  return new Date(instant);
}

/** The instant as "YYYY-MM-DDTHH:MM:SS" wall-clock time in `timeZone` (for datetime-local inputs). */
export function toZonedInput(date, timeZone) {
  const p = zonedParts(date, timeZone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}
