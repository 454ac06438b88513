"""The problem catalogue: each English title and detail the API answers, with its French text.

The English text stays the message id (as gettext does), so the ~120 places that raise a `Problem` keep
their readable sentence. A detail template names its variable parts as the code that raised it wrote them
(`{conversation_id!r}`, `{wait:.0f}`): a detail is matched against the templates, the values are put
back into the French text unchanged (ids, numbers), except the few English words listed in `FRAGMENTS`.
`tests/unit/test_problem_texts.py` reads every `Problem(...)` of the code and fails on a text without
a French entry here.
"""

import re
from collections.abc import Iterable, Mapping
from functools import cache

Language = str  # "en" or "fr"
LANGUAGES: tuple[Language, ...] = ("en", "fr")
DEFAULT_LANGUAGE: Language = "en"

TITLES: Mapping[str, str] = {
    "Already a contact": "Déjà un contact",
    "Already being removed": "Déjà en cours de retrait",
    "Already exists": "Existe déjà",
    "Bad encoding": "Encodage invalide",
    "Bad request": "Requête invalide",
    "Busy": "Occupé",
    "Chat ended": "Discussion terminée",
    "Erased": "Effacé",
    "File too large": "Fichier trop volumineux",
    "Forbidden": "Interdit",
    "Internal error": "Erreur interne",
    "Invalid cursor": "Curseur invalide",
    "Invalid request": "Requête non valide",
    "Length required": "Longueur requise",
    "Malformed JSON": "JSON mal formé",
    "Malformed form": "Formulaire mal formé",
    "Merged": "Fusionnée",
    "No address": "Pas d'adresse",
    "No chatbot": "Pas de chatbot",
    "No connector": "Pas de connecteur",
    "Not allowed now": "Pas permis maintenant",
    "Not configured": "Non configuré",
    "Not found": "Introuvable",
    "Not a review": "Pas un avis",
    "No public reply": "Aucune réponse publique",
    "Not published": "Non publiée",
    "Nothing to approve": "Rien à approuver",
    "Not ready": "Pas prêt",
    "Not sent": "Non envoyé",
    "Payload too large": "Requête trop volumineuse",
    "Revoked": "Révoqué",
    "Service unavailable": "Service indisponible",
    "Temporarily unavailable": "Temporairement indisponible",
    "Too busy": "Trop occupé",
    "Too many failed sign-ins": "Trop de connexions échouées",
    "Too many files": "Trop de fichiers",
    "Too many requests": "Trop de requêtes",
    "Try again": "Réessayez",
    "Unauthorized": "Non authentifié",
    "Unknown chat": "Discussion inconnue",
    "Unknown hotel": "Hôtel inconnu",
    "Unreadable email": "E-mail illisible",
    "Unreadable file": "Fichier illisible",
    "Unsupported file type": "Type de fichier non pris en charge",
    "Unsupported media type": "Type de contenu non pris en charge",
    # Starlette's own answers (an unknown path, a wrong method): the HTTP reason phrase is title and detail.
    "Not Found": "Introuvable",
    "Method Not Allowed": "Méthode non autorisée",
    "Bad Request": "Requête invalide",
    "Not Acceptable": "Non acceptable",
    "Request Timeout": "Délai de la requête dépassé",
    "Conflict": "Conflit",
    "Unsupported Media Type": "Type de contenu non pris en charge",
    "Too Many Requests": "Trop de requêtes",
    "Internal Server Error": "Erreur interne du serveur",
    "Service Unavailable": "Service indisponible",
}

_NOT_YOURS_FR = (
    "Seuls les administrateurs, ou les agents des hôtels qui ont servi ce client, peuvent {what} : il est partagé"
    " avec des hôtels pour lesquels vous ne travaillez pas."
)

DETAILS: Mapping[str, str] = {
    # shared: bodies, forms, tokens, roles
    "The Content-Length header is not a number.": "L'en-tête Content-Length n'est pas un nombre.",
    "Send the body with a Content-Length header.": "Envoyez le corps avec un en-tête Content-Length.",
    "The request body is larger than the limit of {limit} bytes.": (
        "Le corps de la requête dépasse la limite de {limit} octets."
    ),
    "The request body is larger than the limit of {max_bytes} bytes.": (
        "Le corps de la requête dépasse la limite de {max_bytes} octets."
    ),
    "The form cannot be read: {exc}.": "Le formulaire ne peut pas être lu : {exc}.",
    "The multipart body could not be read (boundary missing or wrong).": (
        "Le corps multipart n'a pas pu être lu (délimiteur absent ou erroné)."
    ),
    "The form field {name!r} is not valid UTF-8.": "Le champ de formulaire {name!r} n'est pas en UTF-8 valide.",
    "The body is not valid UTF-8 (byte {exc.start}).": "Le corps n'est pas en UTF-8 valide (octet {exc.start}).",
    "The body is not valid JSON: {exc.msg} at line {exc.lineno}.": (
        "Le corps n'est pas du JSON valide : {exc.msg} à la ligne {exc.lineno}."
    ),
    "The body must be a JSON object.": "Le corps doit être un objet JSON.",
    "The form fields are not valid UTF-8.": "Les champs du formulaire ne sont pas en UTF-8 valide.",
    "Content-Type {kind or '(none)'} is not accepted; send application/json or application/x-www-form-urlencoded.": (
        "Le Content-Type {kind or '(none)'} n'est pas accepté ; envoyez application/json"
        " ou application/x-www-form-urlencoded."
    ),
    "Text may not contain the NUL character (U+0000).": "Le texte ne peut pas contenir le caractère NUL (U+0000).",
    "Something went wrong on our side; it has been logged.": (
        "Une erreur s'est produite chez nous ; elle a été journalisée."
    ),
    "Not ready: {failing} unavailable.": "Pas prêt : {failing} indisponible.",
    "The token is not valid; sign in again.": "Le jeton n'est pas valide ; reconnectez-vous.",
    "The session has expired; sign in again.": "La session a expiré ; reconnectez-vous.",
    "Send 'Authorization: Bearer <token>'.": "Envoyez « Authorization: Bearer <jeton> ».",
    "Sign in first: send 'Authorization: Bearer <token>' or the session cookie.": (
        "Connectez-vous d'abord : envoyez « Authorization: Bearer <jeton> » ou le cookie de session."
    ),
    "The CSRF token is missing or wrong; reload the page and try again.": (
        "Le jeton CSRF est absent ou erroné ; rechargez la page et réessayez."
    ),
    "This token was revoked (signed out or withdrawn); sign in again.": (
        "Ce jeton a été révoqué (déconnexion ou retrait) ; reconnectez-vous."
    ),
    "Your sessions were ended (password, role, hotels or account changed); sign in again.": (
        "Vos sessions ont été fermées (mot de passe, rôle, hôtels ou compte modifiés) ; reconnectez-vous."
    ),
    "An API token cannot call this endpoint; it is for signed-in agents.": (
        "Un jeton d'API ne peut pas appeler ce point d'accès ; il est réservé aux agents connectés."
    ),
    "This API token lacks the scope {scope!r}.": "Ce jeton d'API n'a pas la portée {scope!r}.",
    "Only {allowed} may do this.": "Seuls les {allowed} peuvent faire ceci.",
    "The request is not valid.": "La requête n'est pas valide.",
    # signatures (webhooks)
    "The request is not signed: send X-Hub-Timestamp and X-Hub-Signature.": (
        "La requête n'est pas signée : envoyez X-Hub-Timestamp et X-Hub-Signature."
    ),
    "X-Hub-Timestamp must be a Unix time in seconds.": "X-Hub-Timestamp doit être une heure Unix en secondes.",
    "The signature is older than {window} seconds (or in the future); sign it again.": (
        "La signature date de plus de {window} secondes (ou du futur) ; signez à nouveau."
    ),
    "The signature does not match the body.": "La signature ne correspond pas au corps.",
    # ingest
    "No hotel has the id {location_id!r}.": "Aucun hôtel n'a l'identifiant {location_id!r}.",
    "Too many forms from your address; try again in {wait:.0f} s.": (
        "Trop de formulaires depuis votre adresse ; réessayez dans {wait:.0f} s."
    ),
    "A form may carry {MAX_FORM_FILES} files at most.": "Un formulaire peut porter {MAX_FORM_FILES} fichiers au plus.",
    "The message could not be stored; please send it again.": (
        "Le message n'a pas pu être enregistré ; veuillez l'envoyer à nouveau."
    ),
    "Integrations call this endpoint with an API token, not an agent's session.": (
        "Les intégrations appellent ce point d'accès avec un jeton d'API, pas avec la session d'un agent."
    ),
    "This API token may not write for the hotel {location_id!r}.": (
        "Ce jeton d'API ne peut pas écrire pour l'hôtel {location_id!r}."
    ),
    "The email could not be stored; send it again.": "L'e-mail n'a pas pu être enregistré ; envoyez-le à nouveau.",
    "The hotel could not be checked; send it again.": "L'hôtel n'a pas pu être vérifié ; envoyez à nouveau.",
    "The review could not be stored; send it again.": "L'avis n'a pas pu être enregistré ; envoyez-le à nouveau.",
    "Send text/csv or application/x-ndjson (JSON lines).": "Envoyez text/csv ou application/x-ndjson (lignes JSON).",
    "The file could not be read: {exc}.": "Le fichier n'a pas pu être lu : {exc}.",
    "Not every review was stored; send the file again.": (
        "Tous les avis n'ont pas été enregistrés ; envoyez le fichier à nouveau."
    ),
    "A hotel could not be checked; send the file again.": (
        "Un hôtel n'a pas pu être vérifié ; envoyez le fichier à nouveau."
    ),
    "The call could not be stored; send it again.": "L'appel n'a pas pu être enregistré ; envoyez-le à nouveau.",
    "Send the file as multipart/form-data with a session field.": (
        "Envoyez le fichier en multipart/form-data avec un champ session."
    ),
    "This chat session does not exist for this hotel; reload the page.": (
        "Cette session de discussion n'existe pas pour cet hôtel ; rechargez la page."
    ),
    "file: send exactly one file.": "file : envoyez exactement un fichier.",
    "Slow down: try again in {wait:.0f} s.": "Ralentissez : réessayez dans {wait:.0f} s.",
    "This chat has ended: write a message to start a new one, then send the file.": (
        "Cette discussion est terminée : écrivez un message pour en commencer une nouvelle, puis envoyez le fichier."
    ),
    "The file could not be sent; send it again.": "Le fichier n'a pas pu être envoyé ; envoyez-le à nouveau.",
    "No file of this chat has this id.": "Aucun fichier de cette discussion n'a cet identifiant.",
    "Too many messages are being stored right now; send again in {RETRY_AFTER_SECONDS} s.": (
        "Trop de messages sont en cours d'enregistrement ; envoyez à nouveau dans {RETRY_AFTER_SECONDS} s."
    ),
    "none of the recipients is a hotel mailbox of this hub": (
        "aucun des destinataires n'est une boîte aux lettres d'hôtel de ce hub"
    ),
    "no hotel has the id {destination.location_id!r}": "aucun hôtel n'a l'identifiant {destination.location_id!r}",
    "the sender's address cannot receive answers ({reason})": (
        "l'adresse de l'expéditeur ne peut pas recevoir de réponses ({reason})"
    ),
    "This API token may not write for the hotel {location_id!r}, which the email is for.": (
        "Ce jeton d'API ne peut pas écrire pour l'hôtel {location_id!r}, auquel l'e-mail est destiné."
    ),
    "the sender's address (From) is missing or not a plain mailbox": (
        "l'adresse de l'expéditeur (From) est absente ou n'est pas une simple boîte aux lettres"
    ),
    "no address to answer: From, Sender, Reply-To and the envelope sender are all missing or unusable": (
        "aucune adresse à laquelle répondre : From, Sender, Reply-To et l'expéditeur de l'enveloppe sont tous"
        " absents ou inutilisables"
    ),
    "it has more than {budget.limits.parts} parts": "il a plus de {budget.limits.parts} parties",
    "it has more than {limits.lines} lines": "il a plus de {limits.lines} lignes",
    "it has more than {self._budget.limits.headers} headers": "il a plus de {self._budget.limits.headers} en-têtes",
    "its parts or comments are nested too deeply to be read": (
        "ses parties ou commentaires sont trop profondément imbriqués pour être lus"
    ),
    "its parts are nested more than {MAX_DEPTH} deep": "ses parties sont imbriquées sur plus de {MAX_DEPTH} niveaux",
    # inbox: access and directory
    "This account had {len(failures)} failed sign-ins recently; wait {math.ceil(wait)} s before trying again,"
    " or ask an admin to reset the password.": (
        "Ce compte a eu {len(failures)} connexions échouées récemment ; attendez {math.ceil(wait)} s avant de"
        " réessayer, ou demandez à un administrateur de réinitialiser le mot de passe."
    ),
    "Too many sign-in attempts from your address; try again in {wait:.0f} s.": (
        "Trop de tentatives de connexion depuis votre adresse ; réessayez dans {wait:.0f} s."
    ),
    "Too many failed sign-ins from your address; try again in {math.ceil(wait / 60)} minute(s).": (
        "Trop de connexions échouées depuis votre adresse ; réessayez dans {math.ceil(wait / 60)} minute(s)."
    ),
    "current_password: the current password is wrong.": "current_password : le mot de passe actuel est erroné.",
    "No API token has the id {token_id!r}.": "Aucun jeton d'API n'a l'identifiant {token_id!r}.",
    "The email or the password is wrong.": "L'e-mail ou le mot de passe est erroné.",
    "This account is disabled; ask an admin.": "Ce compte est désactivé ; demandez à un administrateur.",
    "The sessions could not be ended; try again.": "Les sessions n'ont pas pu être fermées ; réessayez.",
    "No {kind} has the id {object_id!r}.": "Aucun élément « {kind} » n'a l'identifiant {object_id!r}.",
    # reports
    "No group {group_id!r}.": "Aucun groupe {group_id!r}.",
    "end: the period ends before it starts.": "end : la période se termine avant de commencer.",
    "end: a period is at most {MAX_PERIOD_DAYS} days long.": "end : une période dure au plus {MAX_PERIOD_DAYS} jours.",
    "timezone: {value!r} is not an IANA time zone (e.g. Europe/Paris).": (
        "timezone : {value!r} n'est pas un fuseau horaire IANA (par ex. Europe/Paris)."
    ),
    "Chain-wide templates (no hotels) are for admins.": (
        "Les modèles de toute la chaîne (sans hôtel) sont réservés aux administrateurs."
    ),
    "Managers edit templates of their own hotels only.": (
        "Les responsables ne modifient que les modèles de leurs propres hôtels."
    ),
    "Managers change the settings of their own hotels only.": (
        "Les responsables ne modifient que les réglages de leurs propres hôtels."
    ),
    "Managers may change only a hotel's business_hours and survey_channels; {named} are for admins.": (
        "Les responsables ne peuvent modifier d'un hôtel que business_hours et survey_channels ; "
        "{named} : réservé aux administrateurs."
    ),
    "business_hours: these hours do not open within the next two years; shorten the closures.": (
        "business_hours : ces horaires n'ouvrent pas dans les deux prochaines années ; raccourcissez les fermetures."
    ),
    "give at least one opening range, or no weekly ranges at all for around the clock": (
        "donnez au moins une plage d'ouverture, ou aucune plage hebdomadaire pour une ouverture 24 h/24"
    ),
    # response-time policies (sla/)
    "Chain-wide response-time policies (no group) are for admins.": (
        "Les règles de délai de réponse de toute la chaîne (sans groupe) sont réservées aux administrateurs."
    ),
    "Managers set the response-time policies of their own groups only.": (
        "Les responsables ne règlent les délais de réponse que pour leurs propres groupes."
    ),
    "The policy's fields do not fit together.": "Les champs de la règle ne sont pas compatibles entre eux.",
    "No response-time policy has the id {policy_id!r}.": (
        "Aucune règle de délai de réponse n'a l'identifiant {policy_id!r}."
    ),
    "group_id: no group has the id {body.group_id!r}.": "group_id : aucun groupe n'a l'identifiant {body.group_id!r}.",
    "escalation: {step.group_id!r} is no customer-care group.": (
        "escalation : {step.group_id!r} n'est pas un groupe de service client."
    ),
    # automation rules
    "Chain rules (no group) are for admins; managers read them only.": (
        "Les règles d'automatisation de toute la chaîne (sans groupe) sont réservées aux administrateurs ; "
        "les responsables peuvent seulement les lire."
    ),
    "Managers set the rules of their own groups only.": (
        "Les responsables ne règlent les règles d'automatisation que pour leurs propres groupes."
    ),
    "No rule has the id {rule_id!r}.": "Aucune règle d'automatisation n'a l'identifiant {rule_id!r}.",
    "The rule's fields do not fit together.": "Les champs de la règle d'automatisation ne sont pas compatibles.",
    "Give either conversation_id or request.": "Indiquez soit conversation_id, soit request.",
    # automatic review replies
    "Chain-wide automatic replies (no hotel) are for admins.": (
        "Les réponses automatiques de toute la chaîne (sans hôtel) sont réservées aux administrateurs."
    ),
    "Managers set automatic replies for their own hotels only.": (
        "Les responsables ne règlent les réponses automatiques que pour leurs propres hôtels."
    ),
    "location_id: no hotel has the id {body.location_id!r}.": (
        "location_id : aucun hôtel n'a l'identifiant {body.location_id!r}."
    ),
    "No automatic reply has the id {rule_id!r}.": "Aucune réponse automatique n'a l'identifiant {rule_id!r}.",
    "This request has no automatic reply waiting.": "Cette demande n'a aucune réponse automatique en attente.",
    "The hub cannot post on this review's platform; answer by private email or on the platform.": (
        "Le hub ne peut pas publier sur la plateforme de cet avis ; répondez par e-mail privé ou sur la plateforme."
    ),
    "Only a review can be answered publicly; send an email instead.": (
        "Seul un avis peut recevoir une réponse publique ; envoyez plutôt un e-mail."
    ),
    "Only a review's public reply can be removed from its platform.": (
        "Seule la réponse publique à un avis peut être retirée de sa plateforme."
    ),
    "This review has no public reply from the hub to remove.": (
        "Cet avis n'a aucune réponse publique du hub à retirer."
    ),
    "The public reply is already being removed from the platform.": (
        "La réponse publique est déjà en cours de retrait de la plateforme."
    ),
    "Only a public reply published on the platform can be removed from it.": (
        "Seule une réponse publique publiée sur la plateforme peut en être retirée."
    ),
    "attachment_ids: a public reply to a review carries text only.": (
        "attachment_ids : une réponse publique à un avis ne contient que du texte."
    ),
    "A hotel with the id {body.id!r} exists already.": "Un hôtel avec l'identifiant {body.id!r} existe déjà.",
    "A group with the id {body.id!r} exists already.": "Un groupe avec l'identifiant {body.id!r} existe déjà.",
    "An agent with the email {body.email} exists already.": "Un agent avec l'e-mail {body.email} existe déjà.",
    "Change your own password with POST /api/v1/auth/password and the current one.": (
        "Changez votre propre mot de passe avec POST /api/v1/auth/password et le mot de passe actuel."
    ),
    "Agents may change only their language and notifications here.": (
        "Les agents ne peuvent changer ici que leur langue et leurs notifications."
    ),
    "An admin cannot disable their own account; ask another admin.": (
        "Un administrateur ne peut pas désactiver son propre compte ; demandez à un autre administrateur."
    ),
    "An admin cannot delete their own account; ask another admin.": (
        "Un administrateur ne peut pas supprimer son propre compte ; demandez à un autre administrateur."
    ),
    "No conversation has the id {conversation_id!r}.": "Aucune demande n'a l'identifiant {conversation_id!r}.",
    # inbox: merge and split (merging/)
    "This request was merged into {survivor!r}; open that one.": (
        "Cette demande a été fusionnée dans {survivor!r} ; ouvrez celle-ci."
    ),
    "This request was merged into {survivor!r}.": "Cette demande a été fusionnée dans {survivor!r}.",
    "conversation_id: a request cannot be merged into itself.": (
        "conversation_id : une demande ne peut pas être fusionnée avec elle-même."
    ),
    "Only two requests of the same hotel can be merged.": (
        "Seules deux demandes du même hôtel peuvent être fusionnées."
    ),
    "entry_id: this request has no entry {entry_id!r}.": "entry_id : cette demande n'a pas d'entrée {entry_id!r}.",
    "entry_id: only a guest's message can be split into a new request.": (
        "entry_id : seul un message du client peut être scindé en une nouvelle demande."
    ),
    "entry_id: the request would keep no guest message; split a later one out.": (
        "entry_id : la demande ne garderait aucun message du client ; scindez un message plus récent."
    ),
    "No conversation of this chatbot has this id.": "Aucune conversation de ce chatbot n'a cet identifiant.",
    # inbox: attachments and conversations
    "No hotel you work for has the id {location_id!r}.": (
        "Aucun des hôtels pour lesquels vous travaillez n'a l'identifiant {location_id!r}."
    ),
    "No hotel you work for has the id {location!r}.": (
        "Aucun des hôtels pour lesquels vous travaillez n'a l'identifiant {location!r}."
    ),
    "No hotel you work for has the id {new.location_id!r}.": (
        "Aucun des hôtels pour lesquels vous travaillez n'a l'identifiant {new.location_id!r}."
    ),
    "A file may be {max_bytes} bytes at most.": "Un fichier peut faire {max_bytes} octets au plus.",
    "file: the file is empty.": "file : le fichier est vide.",
    "No file has this id.": "Aucun fichier n'a cet identifiant.",
    "Contacts did not answer; the contact was not linked.": (
        "Le service des contacts n'a pas répondu ; le contact n'a pas été lié."
    ),
    "contact_id: no contact has the id {contact_id!r}.": "contact_id : aucun contact n'a l'identifiant {contact_id!r}.",
    "The request was changed many times at once; try again.": (
        "La demande a été modifiée plusieurs fois en même temps ; réessayez."
    ),
    "The message is saved but could not be queued; send it again.": (
        "Le message est enregistré mais n'a pas pu être mis en file d'attente ; envoyez-le à nouveau."
    ),
    "The cursor is not one this API returned; start from the first page.": (
        "Ce curseur n'a pas été renvoyé par cette API ; recommencez à la première page."
    ),
    "The cursor continues a list sorted by due time; ask with sort=due or start from the first page.": (
        "Ce curseur continue une liste triée par échéance ; demandez sort=due ou recommencez à la première page."
    ),
    "The cursor continues a list sorted by activity; ask with sort=activity or start from the first page.": (
        "Ce curseur continue une liste triée par activité ; demandez sort=activity ou recommencez à la première page."
    ),
    "This entry has no HTML version.": "Cette entrée n'a pas de version HTML.",
    "agent_id: no agent has the id {body.agent_id!r}.": "agent_id : aucun agent n'a l'identifiant {body.agent_id!r}.",
    "snoozed_until: the time must be in the future.": "snoozed_until : l'heure doit être dans le futur.",
    "snoozed_until: a request can be put on hold for a year at most.": (
        "snoozed_until : une demande peut être mise en attente pendant un an au plus."
    ),
    "snoozed_until: only a request put on hold has a time to come back.": (
        "snoozed_until : seule une demande mise en attente a une heure de retour."
    ),
    "contact_reason: unknown reason {request.contact_reason!r} ({known}).": (
        "contact_reason : motif inconnu {request.contact_reason!r} ({known})."
    ),
    "{field}: no uploaded file has the id {attachment_id!r}.": (
        "{field} : aucun fichier téléversé n'a l'identifiant {attachment_id!r}."
    ),
    "inline_image_ids: {image.id} is not a PNG, JPEG, GIF or WebP image.": (
        "inline_image_ids : {image.id} n'est pas une image PNG, JPEG, GIF ou WebP."
    ),
    "This guest left no email address to reply to; call them instead.": (
        "Ce client n'a laissé aucune adresse e-mail pour lui répondre ; appelez-le plutôt."
    ),
    "No customer-service address is set; an admin sets it in settings.": (
        "Aucune adresse du service client n'est définie ; un administrateur la définit dans les réglages."
    ),
    "assignee: use me, nobody, someone or an agent id.": (
        "assignee : utilisez me, nobody, someone ou l'identifiant d'un agent."
    ),
    "Use the spam action to mark a request as spam.": "Utilisez l'action spam pour marquer une demande comme spam.",
    "This request is marked as spam; mark it as not spam first.": (
        "Cette demande est marquée comme spam ; marquez-la d'abord comme non spam."
    ),
    "A request cannot go from {current.value} to {target.value}.": (
        "Une demande ne peut pas passer de {current.value} à {target.value}."
    ),
    "This request is marked as spam; mark it as not spam before replying.": (
        "Cette demande est marquée comme spam ; marquez-la comme non spam avant de répondre."
    ),
    "This request is already marked as spam.": "Cette demande est déjà marquée comme spam.",
    "This request is not marked as spam.": "Cette demande n'est pas marquée comme spam.",
    "A closed chat becomes open, on hold or closed.": "Une discussion fermée devient ouverte, en attente ou fermée.",
    "This request is marked as spam.": "Cette demande est marquée comme spam.",
    "Only a chat can be closed as a chat; use the status instead.": (
        "Seule une discussion peut être fermée comme discussion ; utilisez plutôt le statut."
    ),
    "This conversation is not handled by the chatbot.": "Cette demande n'est pas prise en charge par le chatbot.",
    # chatbots
    "The chatbot no longer handles this conversation.": "Le chatbot ne prend plus en charge cette demande.",
    "The guest's chat has ended; the chatbot cannot answer it.": (
        "La discussion du client est terminée ; le chatbot ne peut plus y répondre."
    ),
    "This conversation's hotel has no chatbot configured.": "L'hôtel de cette demande n'a pas de chatbot configuré.",
    "The hotel {location_id!r} has no chatbot.": "L'hôtel {location_id!r} n'a pas de chatbot.",
    "Only an API token with the scope {scope!r} may call this endpoint.": (
        "Seul un jeton d'API ayant la portée {scope!r} peut appeler ce point d'accès."
    ),
    "This link is invalid or has expired; ask the hotel for a new one.": (
        "Ce lien n'est pas valide ou a expiré ; demandez-en un nouveau à l'hôtel."
    ),
    # contacts
    "Only admins, or agents of the hotels that served this guest, may {what}: it is shared with hotels"
    " you do not work for.": _NOT_YOURS_FR,
    "This phone number belongs to the contact {known.display_name} already; link that contact instead.": (
        "Ce numéro de téléphone appartient déjà au contact {known.display_name} ; liez plutôt ce contact."
    ),
    "This email address belongs to the contact {known.display_name} already; link that contact instead.": (
        "Cette adresse e-mail appartient déjà au contact {known.display_name} ; liez plutôt ce contact."
    ),
    "This phone number belongs to a contact with no name yet already; link that contact instead.": (
        "Ce numéro de téléphone appartient déjà à un contact encore sans nom ; liez plutôt ce contact."
    ),
    "This email address belongs to a contact with no name yet already; link that contact instead.": (
        "Cette adresse e-mail appartient déjà à un contact encore sans nom ; liez plutôt ce contact."
    ),
    "Only admins may {what}: it concerns every hotel of the chain.": (
        "Seuls les administrateurs peuvent {what} : cela concerne tous les hôtels de la chaîne."
    ),
    "The contact {contact_id!r} was erased.": "Le contact {contact_id!r} a été effacé.",
    "No contact has the id {contact_id!r}.": "Aucun contact n'a l'identifiant {contact_id!r}.",
    "q: type at least {MIN_QUERY} characters.": "q : tapez au moins {MIN_QUERY} caractères.",
    "email: give at least a name, an email address or a phone number.": (
        "email : donnez au moins un nom, une adresse e-mail ou un numéro de téléphone."
    ),
    "phone: {new.phone!r} is not a phone number.": "phone : {new.phone!r} n'est pas un numéro de téléphone.",
    "phone: {typed!r} is not a phone number.": "phone : {typed!r} n'est pas un numéro de téléphone.",
    "This email or phone is being given to a contact right now; try again.": (
        "Cet e-mail ou ce téléphone est en train d'être attribué à un contact ; réessayez."
    ),
    "This phone number belongs to another contact; merge the two instead.": (
        "Ce numéro de téléphone appartient à un autre contact ; fusionnez plutôt les deux."
    ),
    "This phone number belongs to another contact.": "Ce numéro de téléphone appartient à un autre contact.",
    "contact_id: this is the same contact (or merged into it already).": (
        "contact_id : c'est le même contact (ou il y est déjà fusionné)."
    ),
    "The inbox did not answer in time; nothing is missing, ask again.": (
        "La boîte de réception n'a pas répondu à temps ; rien ne manque, redemandez."
    ),
    "No erasure has the id {erasure_id!r}.": "Aucun effacement n'a l'identifiant {erasure_id!r}.",
    "Content-Type: send the file as one of {known}.": "Content-Type : envoyez le fichier sous l'un des types {known}.",
    "The file is larger than {limit} bytes.": "Le fichier dépasse {limit} octets.",
    "No import has the id {import_id!r}.": "Aucun import n'a l'identifiant {import_id!r}.",
    # solicit
    "No {what} has the id {object_id!r}.": "Aucun élément « {what} » n'a l'identifiant {object_id!r}.",
    "The inbox did not answer; nothing was sent.": "La boîte de réception n'a pas répondu ; rien n'a été envoyé.",
    "attachment_ids: no file of this hotel has the id {attachment_id}.": (
        "attachment_ids : aucun fichier de cet hôtel n'a l'identifiant {attachment_id}."
    ),
    "This solicitation was closed; start a new one.": "Cette sollicitation a été close ; commencez-en une nouvelle.",
    "location: say which hotel's recipients to suggest.": (
        "location : indiquez de quel hôtel suggérer les destinataires."
    ),
    "Only admins may read answers that matched no solicitation.": (
        "Seuls les administrateurs peuvent lire les réponses qui ne correspondent à aucune sollicitation."
    ),
    # Request validation (pydantic's messages, as a 422 lists them per field)
    "Field required": "champ obligatoire",
    "String should have at least {min_length} characters": "le texte doit faire au moins {min_length} caractères",
    "String should have at most {max_length} characters": "le texte doit faire au plus {max_length} caractères",
    "String should have at least {min_length} character": "le texte doit faire au moins {min_length} caractère",
    "String should have at most {max_length} character": "le texte doit faire au plus {max_length} caractère",
    "String should match pattern {pattern}": "le texte doit correspondre au motif {pattern}",
    "Input should be a valid string": "la valeur doit être un texte",
    "Input should be a valid integer": "la valeur doit être un nombre entier",
    "Input should be a valid integer, unable to parse string as an integer": "la valeur doit être un nombre entier",
    "Input should be a valid number, unable to parse string as a number": "la valeur doit être un nombre",
    "Input should be a valid number": "la valeur doit être un nombre",
    "Input should be a valid boolean": "la valeur doit être un booléen",
    "Input should be a valid boolean, unable to interpret input": "la valeur doit être un booléen",
    "Input should be a valid list": "la valeur doit être une liste",
    "Input should be a valid dictionary": "la valeur doit être un objet",
    "Input should be a valid dictionary or instance of {class_name}": "la valeur doit être un objet ({class_name})",
    "Input should be a valid datetime, {error}": "la valeur doit être une date et heure valide ({error})",
    "Input should be a valid date, {error}": "la valeur doit être une date valide ({error})",
    "Input should be a valid datetime or date, {error}": "la valeur doit être une date valide ({error})",
    "Input should be a valid date or datetime, {error}": "la valeur doit être une date valide ({error})",
    "Datetimes provided to dates should have zero time - e.g. be exact dates": (
        "la valeur doit être une date sans heure (AAAA-MM-JJ)"
    ),
    "Input should be greater than {gt}": "la valeur doit être supérieure à {gt}",
    "Input should be greater than or equal to {ge}": "la valeur doit être supérieure ou égale à {ge}",
    "Input should be less than {lt}": "la valeur doit être inférieure à {lt}",
    "Input should be less than or equal to {le}": "la valeur doit être inférieure ou égale à {le}",
    "Input should be {expected}": "la valeur doit être {expected}",
    "List should have at most {max_length} items after validation, not {actual_length}": (
        "la liste doit avoir au plus {max_length} éléments, pas {actual_length}"
    ),
    "List should have at least {min_length} items after validation, not {actual_length}": (
        "la liste doit avoir au moins {min_length} éléments, pas {actual_length}"
    ),
    "List should have at most {max_length} item after validation, not {actual_length}": (
        "la liste doit avoir au plus {max_length} élément, pas {actual_length}"
    ),
    "List should have at least {min_length} item after validation, not {actual_length}": (
        "la liste doit avoir au moins {min_length} élément, pas {actual_length}"
    ),
    "Extra inputs are not permitted": "champ non permis",
    "value is not a valid email address: {reason}": "ce n'est pas une adresse e-mail valide : {reason}",
    "Value error, {message}": "valeur invalide : {message}",
    # Business hours (shared/business_hours.py), as the `{message}` of a value error
    "use a time as HH:MM, from 00:00 to 23:59": "indiquez une heure au format HH:MM, de 00:00 à 23:59",
    "use a time as HH:MM, from 00:01 to 24:00 (24:00 is the midnight that ends the day)": (
        "indiquez une heure au format HH:MM, de 00:01 à 24:00 (24:00 est le minuit qui termine la journée)"
    ),
    "use a date as YYYY-MM-DD": "indiquez une date au format AAAA-MM-JJ",
    "a closure ends on or after the day it starts": "une fermeture finit le jour où elle commence ou après",
    "JSON decode error": "le JSON ne peut pas être décodé",
    "Input should be a valid URL, {error}": "la valeur doit être une URL valide ({error})",
    "Input should be a valid UUID, {error}": "la valeur doit être un UUID valide ({error})",
    "invalid value": "valeur invalide",
    # Automation rules (services/inbox/rules/schemas.py), as the `{message}` of a value error
    "exists takes no value": "exists ne prend pas de valeur",
    "eq takes one value": "eq prend une seule valeur",
    "in takes a list of 1 to 50 values": "in prend une liste de 1 à 50 valeurs",
    "give either conversation_id or request": "indiquez soit conversation_id, soit request",
}

# English words a raise site puts into its sentence (`No {what} has the id ...`, `Only {allowed} ...`):
# translated where they stand, ids and numbers are not.
FRAGMENTS: Mapping[str, str] = {
    "agent": "agent",
    "group": "groupe",
    "hotel": "hôtel",
    "request": "demande",
    "solicitation": "sollicitation",
    "template": "modèle",
    "admins": "administrateurs",
    "managers or admins": "responsables ou administrateurs",
    "agents or managers or admins": "agents, responsables ou administrateurs",
    "change this contact": "modifier ce contact",
    "merge these contacts": "fusionner ces contacts",
    "export a contact": "exporter un contact",
    "erase a contact": "effacer un contact",
    "read erasure records": "lire les registres d'effacement",
    "import headquarters attributes": "importer les attributs du siège",
    "read import reports": "lire les rapports d'import",
    "bus": "bus",
    "database": "base de données",
    "accepting": "accueil des requêtes",
}

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class _Template:
    """An English template as a regex whose groups are its placeholders, in order."""

    def __init__(self, english: str, french: str) -> None:
        names = _PLACEHOLDER.findall(english)
        parts = _PLACEHOLDER.split(english)  # literal, name, literal, name, ..., literal
        pattern = "".join(re.escape(part) if i % 2 == 0 else "(.+?)" for i, part in enumerate(parts))
        self.names, self.french = names, french
        self.regex = re.compile(pattern + r"\Z", re.DOTALL)
        self.literal_length = len(english) - sum(len(name) + 2 for name in names)

    def render(self, text: str) -> str | None:
        found = self.regex.match(text)
        if found is None:
            return None
        values = dict(zip(self.names, found.groups(), strict=True))
        return _PLACEHOLDER.sub(lambda m: _fragment(values.get(m.group(1), m.group(0))), self.french)


def _fragment(value: str) -> str:
    """A value put back into a French text: a known English word or message translated, else as it is."""
    if value in FRAGMENTS:
        return FRAGMENTS[value]
    if ", " in value and all(part in FRAGMENTS for part in value.split(", ")):
        return ", ".join(FRAGMENTS[part] for part in value.split(", "))
    return _translate_detail(value) or value


@cache
def _templates() -> tuple[_Template, ...]:
    # The most specific template first: a text that matches two (`Input should be {expected}` and
    # `Input should be a valid string`) takes the one with more fixed words.
    made = [_Template(english, french) for english, french in DETAILS.items()]
    return tuple(sorted(made, key=lambda template: -template.literal_length))


def translate(text: str, language: Language) -> str:
    """`text` (a title, a detail, a field's message) in `language`; English, or unknown, as it is."""
    if language == DEFAULT_LANGUAGE:
        return text
    if text in TITLES:
        return TITLES[text]
    return _translate_detail(text) or text


def _translate_detail(text: str) -> str | None:
    for template in _templates():
        rendered = template.render(text)
        if rendered is not None:
            return rendered
    return None


def field_message(field: str, message: str, language: Language) -> str:
    """One invalid field's message: the catalogue knows some as `field: message` (a 422 raised by a
    service), most as the message alone (pydantic's)."""
    whole = translate(f"{field}: {message}", language)
    prefix = f"{field} : "
    if whole.startswith(prefix):
        return whole[len(prefix) :]
    return translate(message, language)


def preferred_language(accept_language: str | None, offered: Iterable[Language] = LANGUAGES) -> Language:
    """The language of `offered` the client prefers most (RFC 9110 Accept-Language, q-values honoured,
    `fr-FR` counts as `fr`); English when the client names none of them."""
    offered = tuple(offered)
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if not 0.0 <= q <= 1.0:  # nan, inf and nonsense name no preference
            q = 0.0
        if primary == "*":
            primary = DEFAULT_LANGUAGE
        if primary in offered and q > best_q:
            best, best_q = primary, q
    return best
