"""Built-in banner texts in further languages; English and Vietnamese live in texts.py."""

# Chinese and Japanese texts use full-width punctuation (comma, colon, question mark,
# parentheses) as their typography requires; RUF001 would flag these as ambiguous.
# ruff: noqa: RUF001

from __future__ import annotations

MORE_BANNER_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Nous respectons votre vie privée",
        "description": (
            "Nous utilisons des cookies essentiels au fonctionnement de ce site. Avec votre "
            "consentement, nous utilisons également des cookies pour mesurer l'audience et à des "
            "fins de marketing. Vous pouvez accepter, refuser ou choisir par catégorie, et changer "
            "d'avis à tout moment."
        ),
        "policy_link": "Politique de confidentialité",
        "accept_all": "Tout accepter",
        "reject_all": "Tout refuser",
        "preferences": "Préférences",
        "preferences_title": "Préférences en matière de cookies",
        "preferences_description": (
            "Choisissez ce que vous acceptez. Les cookies essentiels sont toujours actifs, car le "
            "site ne peut pas fonctionner sans eux."
        ),
        "save": "Enregistrer mes choix",
        "close": "Fermer",
        "always_on": "Toujours actifs",
        "reopen": "Paramètres des cookies",
        "withdraw": "Retirer mon consentement",
        "gpc_honored": (
            "Demande d'opposition prise en compte : votre navigateur a envoyé un signal "
            "Global Privacy Control, c'est pourquoi nous ne vendons ni ne partageons vos données à "
            "des fins de marketing."
        ),
        "error": "Votre choix n'a pas pu être enregistré. Veuillez réessayer.",
        "queued": "Votre choix n'est pas encore enregistré : nous le renverrons dès que possible.",
        "opt_out_description": (
            "Nous et nos partenaires utilisons des cookies à des fins d'analyse et de publicité "
            "personnalisée. Vous pouvez vous opposer à tout moment à la vente ou au partage de vos "
            "informations personnelles."
        ),
        "do_not_sell": "Ne pas vendre ni partager mes informations personnelles",
        "notice_description": (
            "Ce site utilise des cookies à des fins d'analyse et de marketing. Vous pouvez les "
            "refuser."
        ),
        "dismiss": "OK",
        "policy_updated": (
            "Nous avons mis à jour notre politique de confidentialité. Ce qui a changé :"
        ),
        "your_data": "Vos données de consentement",
        "history": "Historique de vos choix",
        "export": "Télécharger (JSON)",
        "erase": "Supprimer mes données de consentement",
        "erase_confirm": (
            "Supprimer les données personnelles de vos enregistrements de consentement ? Votre "
            "choix actuel sera annulé."
        ),
        "erased": "Vos données de consentement ont été supprimées.",
        "receipt": "Reçu",
        "receipt_title": "Reçu de consentement",
        "receipt_intro": "Ce relevé confirme votre choix en matière de cookies sur ce site web.",
        "receipt_site": "Site web",
        "receipt_visitor": "Identifiant du visiteur",
        "receipt_action": "Action",
        "receipt_time": "Date et heure",
        "receipt_policy": "Version de la politique",
        "receipt_region": "Région",
        "receipt_purposes": "Finalités",
        "receipt_allowed": "Autorisé",
        "receipt_refused": "Refusé",
        "receipt_expires": "Expiration",
        "receipt_withdrawal": (
            "Vous avez retiré votre consentement. Désormais, les cookies non essentiels ne sont "
            "plus utilisés et les données des cookies déclarés sont supprimées de votre "
            "navigateur. Le traitement effectué avant le retrait reste licite. Vous pouvez donner "
            "à nouveau votre consentement à tout moment."
        ),
        "receipt_print": "Imprimer le reçu",
        "receipt_invalid": (
            "Ce lien vers le reçu n'est pas valide. Ouvrez à nouveau votre reçu depuis les "
            "Paramètres des cookies du site."
        ),
        "receipt_not_found": (
            "Aucun choix enregistré ne correspond à ce lien. Ouvrez à nouveau votre reçu depuis "
            "les Paramètres des cookies du site."
        ),
        "receipt_unavailable": (
            "Le reçu ne peut pas être affiché pour le moment. Réessayez dans quelques minutes."
        ),
    },
    "de": {
        "title": "Wir respektieren Ihre Privatsphäre",
        "description": (
            "Wir verwenden notwendige Cookies, damit diese Website funktioniert. Mit Ihrer "
            "Einwilligung verwenden wir außerdem Cookies zur Analyse der Zugriffe und für "
            "Marketing. Sie können zustimmen, ablehnen oder nach Kategorien auswählen und Ihre "
            "Entscheidung jederzeit ändern."
        ),
        "policy_link": "Datenschutzerklärung",
        "accept_all": "Alle akzeptieren",
        "reject_all": "Alle ablehnen",
        "preferences": "Einstellungen",
        "preferences_title": "Cookie-Einstellungen",
        "preferences_description": (
            "Wählen Sie aus, wozu Sie einwilligen. Notwendige Cookies sind immer aktiv, da die "
            "Website ohne sie nicht funktionieren kann."
        ),
        "save": "Auswahl speichern",
        "close": "Schließen",
        "always_on": "Immer aktiv",
        "reopen": "Cookie-Einstellungen",
        "withdraw": "Einwilligung widerrufen",
        "gpc_honored": (
            "Widerspruch berücksichtigt: Ihr Browser hat ein Signal „Global Privacy Control“ "
            "gesendet, daher verkaufen oder teilen wir Ihre Daten nicht für Marketingzwecke."
        ),
        "error": "Ihre Auswahl konnte nicht gespeichert werden. Bitte versuchen Sie es erneut.",
        "queued": (
            "Ihre Auswahl ist noch nicht gespeichert: Wir senden sie erneut, sobald es möglich ist."
        ),
        "opt_out_description": (
            "Wir und unsere Partner verwenden Cookies für Analysen und personalisierte Werbung. "
            "Sie können dem Verkauf oder der Weitergabe Ihrer personenbezogenen Daten jederzeit "
            "widersprechen."
        ),
        "do_not_sell": "Meine personenbezogenen Daten nicht verkaufen oder teilen",
        "notice_description": (
            "Diese Website verwendet Cookies für Analysen und Marketing. Sie können diese ablehnen."
        ),
        "dismiss": "OK",
        "policy_updated": (
            "Wir haben unsere Datenschutzerklärung aktualisiert. Was sich geändert hat:"
        ),
        "your_data": "Ihre Einwilligungsdaten",
        "history": "Verlauf Ihrer Entscheidungen",
        "export": "Herunterladen (JSON)",
        "erase": "Meine Einwilligungsdaten löschen",
        "erase_confirm": (
            "Die personenbezogenen Daten in Ihren Einwilligungsnachweisen löschen? Ihre aktuelle "
            "Auswahl wird aufgehoben."
        ),
        "erased": "Ihre Einwilligungsdaten wurden gelöscht.",
        "receipt": "Nachweis",
        "receipt_title": "Einwilligungsnachweis",
        "receipt_intro": "Dieser Nachweis bestätigt Ihre Cookie-Auswahl auf dieser Website.",
        "receipt_site": "Website",
        "receipt_visitor": "Besucher-ID",
        "receipt_action": "Aktion",
        "receipt_time": "Zeitpunkt",
        "receipt_policy": "Version der Datenschutzerklärung",
        "receipt_region": "Region",
        "receipt_purposes": "Zwecke",
        "receipt_allowed": "Erlaubt",
        "receipt_refused": "Abgelehnt",
        "receipt_expires": "Gültig bis",
        "receipt_withdrawal": (
            "Sie haben Ihre Einwilligung widerrufen. Ab sofort werden keine nicht notwendigen "
            "Cookies mehr verwendet, und die deklarierten Cookie-Daten werden aus Ihrem Browser "
            "entfernt. Die bis zum Widerruf erfolgte Verarbeitung bleibt rechtmäßig. Sie können "
            "jederzeit erneut einwilligen."
        ),
        "receipt_print": "Nachweis drucken",
        "receipt_invalid": (
            "Dieser Link zum Nachweis ist ungültig. Öffnen Sie den Nachweis erneut über die "
            "Cookie-Einstellungen der Website."
        ),
        "receipt_not_found": (
            "Zu diesem Link gibt es keine gespeicherte Auswahl. Öffnen Sie den Nachweis erneut "
            "über die Cookie-Einstellungen der Website."
        ),
        "receipt_unavailable": (
            "Der Nachweis kann gerade nicht angezeigt werden. Bitte versuchen Sie es in "
            "einigen Minuten erneut."
        ),
    },
    "es": {
        "title": "Respetamos su privacidad",
        "description": (
            "Utilizamos cookies esenciales para que este sitio funcione. Con su consentimiento, "
            "también utilizamos cookies para analizar el tráfico y con fines de marketing. Puede "
            "aceptar, rechazar o elegir por categoría, y cambiar de opinión en cualquier momento."
        ),
        "policy_link": "Política de privacidad",
        "accept_all": "Aceptar todas",
        "reject_all": "Rechazar todas",
        "preferences": "Preferencias",
        "preferences_title": "Preferencias de cookies",
        "preferences_description": (
            "Elija lo que acepta. Las cookies esenciales están siempre activas porque el sitio no "
            "puede funcionar sin ellas."
        ),
        "save": "Guardar selección",
        "close": "Cerrar",
        "always_on": "Siempre activas",
        "reopen": "Configuración de cookies",
        "withdraw": "Retirar el consentimiento",
        "gpc_honored": (
            "Solicitud de exclusión respetada: su navegador ha enviado una señal de "
            "Global Privacy Control, por lo que no vendemos ni compartimos sus datos con fines de "
            "marketing."
        ),
        "error": "No se ha podido guardar su elección. Vuelva a intentarlo.",
        "queued": (
            "Su elección aún no se ha guardado: la enviaremos de nuevo en cuanto sea posible."
        ),
        "opt_out_description": (
            "Nosotros y nuestros socios utilizamos cookies con fines analíticos y de publicidad "
            "personalizada. Puede optar en cualquier momento por que no se venda ni se comparta su "
            "información personal."
        ),
        "do_not_sell": "No vender ni compartir mi información personal",
        "notice_description": (
            "Este sitio utiliza cookies con fines analíticos y de marketing. Puede rechazarlas."
        ),
        "dismiss": "Entendido",
        "policy_updated": (
            "Hemos actualizado nuestra política de privacidad. Estos son los cambios:"
        ),
        "your_data": "Sus datos de consentimiento",
        "history": "Historial de sus elecciones",
        "export": "Descargar (JSON)",
        "erase": "Eliminar mis datos de consentimiento",
        "erase_confirm": (
            "¿Eliminar los datos personales de sus registros de consentimiento? Su elección actual "
            "quedará anulada."
        ),
        "erased": "Se han eliminado sus datos de consentimiento.",
        "receipt": "Justificante",
        "receipt_title": "Justificante de consentimiento",
        "receipt_intro": "Este registro confirma su elección sobre las cookies en este sitio web.",
        "receipt_site": "Sitio web",
        "receipt_visitor": "ID de visitante",
        "receipt_action": "Acción",
        "receipt_time": "Fecha y hora",
        "receipt_policy": "Versión de la política",
        "receipt_region": "Región",
        "receipt_purposes": "Finalidades",
        "receipt_allowed": "Permitido",
        "receipt_refused": "Rechazado",
        "receipt_expires": "Caducidad",
        "receipt_withdrawal": (
            "Ha retirado su consentimiento. A partir de ahora, no se utilizan cookies no "
            "esenciales y los datos de las cookies declaradas se eliminan de su navegador. El "
            "tratamiento realizado antes de la retirada sigue siendo lícito. Puede volver a dar su "
            "consentimiento en cualquier momento."
        ),
        "receipt_print": "Imprimir justificante",
        "receipt_invalid": (
            "Este enlace al justificante no es válido. Vuelva a abrir el justificante desde la "
            "Configuración de cookies del sitio web."
        ),
        "receipt_not_found": (
            "Ninguna elección registrada corresponde a este enlace. Vuelva a abrir el justificante "
            "desde la Configuración de cookies del sitio web."
        ),
        "receipt_unavailable": (
            "El comprobante no se puede mostrar ahora. Inténtelo de nuevo en unos minutos."
        ),
    },
    "pt": {
        "title": "Respeitamos a sua privacidade",
        "description": (
            "Utilizamos cookies essenciais para que este site funcione. Com o seu consentimento, "
            "também utilizamos cookies para analisar o tráfego e para fins de marketing. Pode "
            "aceitar, rejeitar ou escolher por categoria, e alterar a sua escolha a qualquer "
            "momento."
        ),
        "policy_link": "Política de privacidade",
        "accept_all": "Aceitar todos",
        "reject_all": "Rejeitar todos",
        "preferences": "Preferências",
        "preferences_title": "Preferências de cookies",
        "preferences_description": (
            "Escolha aquilo com que concorda. Os cookies essenciais estão sempre ativos porque o "
            "site não pode funcionar sem eles."
        ),
        "save": "Guardar escolhas",
        "close": "Fechar",
        "always_on": "Sempre ativos",
        "reopen": "Definições de cookies",
        "withdraw": "Retirar consentimento",
        "gpc_honored": (
            "Pedido de exclusão respeitado: o seu navegador enviou um sinal "
            "Global Privacy Control, pelo que não vendemos nem partilhamos os seus dados para fins "
            "de marketing."
        ),
        "error": "Não foi possível guardar a sua escolha. Tente novamente.",
        "queued": "A sua escolha ainda não foi guardada: voltaremos a enviá-la assim que possível.",
        "opt_out_description": (
            "Nós e os nossos parceiros utilizamos cookies para análise e publicidade "
            "personalizada. Pode opor-se à venda ou partilha das suas informações pessoais a "
            "qualquer momento."
        ),
        "do_not_sell": "Não vender nem partilhar as minhas informações pessoais",
        "notice_description": (
            "Este site utiliza cookies para análise e marketing. Pode recusá-los."
        ),
        "dismiss": "OK",
        "policy_updated": "Atualizámos a nossa política de privacidade. O que mudou:",
        "your_data": "Os seus dados de consentimento",
        "history": "Histórico das suas escolhas",
        "export": "Transferir (JSON)",
        "erase": "Eliminar os meus dados de consentimento",
        "erase_confirm": (
            "Eliminar os dados pessoais dos seus registos de consentimento? A sua escolha atual "
            "será anulada."
        ),
        "erased": "Os seus dados de consentimento foram eliminados.",
        "receipt": "Comprovativo",
        "receipt_title": "Comprovativo de consentimento",
        "receipt_intro": "Este registo confirma a sua escolha relativa a cookies neste site.",
        "receipt_site": "Site",
        "receipt_visitor": "ID do visitante",
        "receipt_action": "Ação",
        "receipt_time": "Data e hora",
        "receipt_policy": "Versão da política",
        "receipt_region": "Região",
        "receipt_purposes": "Finalidades",
        "receipt_allowed": "Permitido",
        "receipt_refused": "Recusado",
        "receipt_expires": "Expira em",
        "receipt_withdrawal": (
            "Retirou o seu consentimento. A partir de agora, os cookies não essenciais não são "
            "utilizados e os dados dos cookies declarados são removidos do seu navegador. O "
            "tratamento efetuado antes da retirada continua a ser lícito. Pode voltar a dar o seu "
            "consentimento a qualquer momento."
        ),
        "receipt_print": "Imprimir comprovativo",
        "receipt_invalid": (
            "Este link do comprovativo não é válido. Abra novamente o comprovativo a partir das "
            "Definições de cookies do site."
        ),
        "receipt_not_found": (
            "Nenhuma escolha registada corresponde a este link. Abra novamente o comprovativo a "
            "partir das Definições de cookies do site."
        ),
        "receipt_unavailable": (
            "O comprovativo não pode ser apresentado agora. Tente novamente dentro de alguns "
            "minutos."
        ),
    },
    "it": {
        "title": "Rispettiamo la sua privacy",
        "description": (
            "Utilizziamo cookie essenziali per il funzionamento di questo sito. Con il suo "
            "consenso, utilizziamo anche cookie per analizzare il traffico e per finalità di "
            "marketing. Può accettare, rifiutare o scegliere per categoria e cambiare idea in "
            "qualsiasi momento."
        ),
        "policy_link": "Informativa sulla privacy",
        "accept_all": "Accetta tutti",
        "reject_all": "Rifiuta tutti",
        "preferences": "Preferenze",
        "preferences_title": "Preferenze sui cookie",
        "preferences_description": (
            "Scelga a cosa acconsente. I cookie essenziali sono sempre attivi perché il sito non "
            "può funzionare senza di essi."
        ),
        "save": "Salva le scelte",
        "close": "Chiudi",
        "always_on": "Sempre attivi",
        "reopen": "Impostazioni cookie",
        "withdraw": "Revoca il consenso",
        "gpc_honored": (
            "Richiesta di opt-out accolta: il suo browser ha inviato un segnale "
            "Global Privacy Control, pertanto non vendiamo né condividiamo i suoi dati per "
            "finalità di marketing."
        ),
        "error": "Non è stato possibile salvare la sua scelta. La preghiamo di riprovare.",
        "queued": (
            "La sua scelta non è ancora stata salvata: la invieremo di nuovo appena possibile."
        ),
        "opt_out_description": (
            "Noi e i nostri partner utilizziamo cookie per analisi statistiche e pubblicità "
            "personalizzata. Può opporsi in qualsiasi momento alla vendita o alla condivisione "
            "delle sue informazioni personali."
        ),
        "do_not_sell": "Non vendere né condividere le mie informazioni personali",
        "notice_description": (
            "Questo sito utilizza cookie per analisi statistiche e marketing. Può rifiutarli."
        ),
        "dismiss": "OK",
        "policy_updated": (
            "Abbiamo aggiornato la nostra informativa sulla privacy. Cosa è cambiato:"
        ),
        "your_data": "I suoi dati di consenso",
        "history": "Cronologia delle sue scelte",
        "export": "Scarica (JSON)",
        "erase": "Elimina i miei dati di consenso",
        "erase_confirm": (
            "Eliminare i dati personali presenti nelle sue registrazioni del consenso? La scelta "
            "attuale verrà annullata."
        ),
        "erased": "I suoi dati di consenso sono stati eliminati.",
        "receipt": "Ricevuta",
        "receipt_title": "Ricevuta del consenso",
        "receipt_intro": (
            "Questa registrazione conferma la sua scelta sui cookie in questo sito web."
        ),
        "receipt_site": "Sito web",
        "receipt_visitor": "ID visitatore",
        "receipt_action": "Azione",
        "receipt_time": "Data e ora",
        "receipt_policy": "Versione dell'informativa",
        "receipt_region": "Regione",
        "receipt_purposes": "Finalità",
        "receipt_allowed": "Consentito",
        "receipt_refused": "Rifiutato",
        "receipt_expires": "Scadenza",
        "receipt_withdrawal": (
            "Ha revocato il suo consenso. D'ora in poi i cookie non essenziali non vengono "
            "utilizzati e i dati dei cookie dichiarati vengono rimossi dal suo browser. Il "
            "trattamento effettuato prima della revoca resta lecito. Può prestare nuovamente il "
            "consenso in qualsiasi momento."
        ),
        "receipt_print": "Stampa la ricevuta",
        "receipt_invalid": (
            "Questo link alla ricevuta non è valido. Apri di nuovo la ricevuta dalle Impostazioni "
            "cookie del sito."
        ),
        "receipt_not_found": (
            "Nessuna scelta registrata corrisponde a questo link. Apri di nuovo la ricevuta dalle "
            "Impostazioni cookie del sito."
        ),
        "receipt_unavailable": (
            "La ricevuta non può essere mostrata ora. Riprova tra qualche minuto."
        ),
    },
    "nl": {
        "title": "Wij respecteren uw privacy",
        "description": (
            "Wij gebruiken noodzakelijke cookies om deze website te laten werken. Met uw "
            "toestemming gebruiken wij ook cookies om het websiteverkeer te analyseren en voor "
            "marketing. U kunt accepteren, weigeren of per categorie kiezen, en uw keuze op elk "
            "moment wijzigen."
        ),
        "policy_link": "Privacyverklaring",
        "accept_all": "Alles accepteren",
        "reject_all": "Alles weigeren",
        "preferences": "Voorkeuren",
        "preferences_title": "Cookievoorkeuren",
        "preferences_description": (
            "Kies waarvoor u toestemming geeft. Noodzakelijke cookies staan altijd aan, omdat de "
            "website zonder deze cookies niet kan werken."
        ),
        "save": "Keuzes opslaan",
        "close": "Sluiten",
        "always_on": "Altijd actief",
        "reopen": "Cookie-instellingen",
        "withdraw": "Toestemming intrekken",
        "gpc_honored": (
            "Opt-outverzoek gehonoreerd: uw browser heeft een Global Privacy Control-signaal "
            "verzonden, dus wij verkopen of delen uw gegevens niet voor marketing."
        ),
        "error": "Uw keuze kon niet worden opgeslagen. Probeer het opnieuw.",
        "queued": "Uw keuze is nog niet opgeslagen: we versturen hem opnieuw zodra het kan.",
        "opt_out_description": (
            "Wij en onze partners gebruiken cookies voor analyse en gepersonaliseerde "
            "advertenties. U kunt op elk moment bezwaar maken tegen de verkoop of het delen van uw "
            "persoonsgegevens."
        ),
        "do_not_sell": "Mijn persoonsgegevens niet verkopen of delen",
        "notice_description": (
            "Deze website gebruikt cookies voor analyse en marketing. U kunt deze weigeren."
        ),
        "dismiss": "OK",
        "policy_updated": "Wij hebben onze privacyverklaring bijgewerkt. Wat er is gewijzigd:",
        "your_data": "Uw toestemmingsgegevens",
        "history": "Geschiedenis van uw keuzes",
        "export": "Downloaden (JSON)",
        "erase": "Mijn toestemmingsgegevens verwijderen",
        "erase_confirm": (
            "De persoonsgegevens in uw toestemmingsregistraties verwijderen? Uw huidige keuze "
            "vervalt."
        ),
        "erased": "Uw toestemmingsgegevens zijn verwijderd.",
        "receipt": "Bewijs",
        "receipt_title": "Toestemmingsbewijs",
        "receipt_intro": "Deze registratie bevestigt uw cookiekeuze op deze website.",
        "receipt_site": "Website",
        "receipt_visitor": "Bezoekers-ID",
        "receipt_action": "Actie",
        "receipt_time": "Tijdstip",
        "receipt_policy": "Versie van de privacyverklaring",
        "receipt_region": "Regio",
        "receipt_purposes": "Doeleinden",
        "receipt_allowed": "Toegestaan",
        "receipt_refused": "Geweigerd",
        "receipt_expires": "Geldig tot",
        "receipt_withdrawal": (
            "U hebt uw toestemming ingetrokken. Vanaf nu worden niet-noodzakelijke cookies niet "
            "gebruikt en worden de opgegeven cookiegegevens uit uw browser verwijderd. Verwerking "
            "vóór de intrekking blijft rechtmatig. U kunt op elk moment opnieuw toestemming geven."
        ),
        "receipt_print": "Bewijs afdrukken",
        "receipt_invalid": (
            "Deze link naar het bewijs is ongeldig. Open het bewijs opnieuw via de "
            "Cookie-instellingen van de website."
        ),
        "receipt_not_found": (
            "Bij deze link hoort geen vastgelegde keuze. Open het bewijs opnieuw via de "
            "Cookie-instellingen van de website."
        ),
        "receipt_unavailable": (
            "Het bewijs kan nu niet worden getoond. Probeer het over een paar minuten opnieuw."
        ),
    },
    "ja": {
        "title": "お客様のプライバシーを尊重します",
        "description": (
            "当サイトでは、サイトの動作に必要なCookieを使用しています。お客様の同意を得た場合は、"
            "アクセス解析およびマーケティングのためにもCookieを使用します。同意、拒否、"
            "またはカテゴリーごとの選択が可能で、選択はいつでも変更できます。"
        ),
        "policy_link": "プライバシーポリシー",
        "accept_all": "すべて同意する",
        "reject_all": "すべて拒否する",
        "preferences": "設定",
        "preferences_title": "Cookieの設定",
        "preferences_description": (
            "同意する項目を選択してください。サイトは必須Cookieなしでは動作しないため、"
            "必須Cookieは常に有効です。"
        ),
        "save": "選択を保存",
        "close": "閉じる",
        "always_on": "常に有効",
        "reopen": "Cookie設定",
        "withdraw": "同意を撤回する",
        "gpc_honored": (
            "オプトアウトのリクエストに対応しました。"
            "お使いのブラウザからGlobal Privacy Controlのシグナルが送信されたため、"
            "お客様のデータをマーケティング目的で販売または共有することはありません。"
        ),
        "error": "選択内容を保存できませんでした。もう一度お試しください。",
        "queued": "選択内容はまだ保存されていません。接続が回復しだい再送信します。",
        "opt_out_description": (
            "当サイトおよびパートナーは、"
            "アクセス解析とパーソナライズされた広告のためにCookieを使用しています。"
            "お客様はいつでも、個人情報の販売または共有をオプトアウトできます。"
        ),
        "do_not_sell": "個人情報を販売または共有しない",
        "notice_description": (
            "当サイトでは、アクセス解析とマーケティングのためにCookieを使用しています。"
            "これらのCookieは拒否することができます。"
        ),
        "dismiss": "OK",
        "policy_updated": "プライバシーポリシーを更新しました。変更点：",
        "your_data": "お客様の同意データ",
        "history": "選択の履歴",
        "export": "ダウンロード（JSON）",
        "erase": "同意データを削除する",
        "erase_confirm": "同意記録に含まれる個人データを削除しますか？現在の選択は取り消されます。",
        "erased": "同意データを削除しました。",
        "receipt": "控え",
        "receipt_title": "同意の控え",
        "receipt_intro": (
            "この記録は、本ウェブサイトにおけるお客様のCookieの選択内容を確認するものです。"
        ),
        "receipt_site": "ウェブサイト",
        "receipt_visitor": "訪問者ID",
        "receipt_action": "操作",
        "receipt_time": "日時",
        "receipt_policy": "ポリシーのバージョン",
        "receipt_region": "地域",
        "receipt_purposes": "利用目的",
        "receipt_allowed": "許可",
        "receipt_refused": "拒否",
        "receipt_expires": "有効期限",
        "receipt_withdrawal": (
            "同意が撤回されました。今後、必須ではないCookieは使用されず、"
            "当サイトが明示しているCookieのデータはお客様のブラウザから削除されます。"
            "撤回前に行われた処理は引き続き適法です。いつでも再度同意することができます。"
        ),
        "receipt_print": "控えを印刷",
        "receipt_invalid": (
            "この控えのリンクは無効です。ウェブサイトのCookie設定から控えを開き直してください。"
        ),
        "receipt_not_found": (
            "このリンクに該当する記録済みの選択はありません。"
            "ウェブサイトのCookie設定から控えを開き直してください。"
        ),
        "receipt_unavailable": "現在、受領証を表示できません。数分後にもう一度お試しください。",
    },
    "ko": {
        "title": "귀하의 개인정보를 존중합니다",
        "description": (
            "저희는 이 사이트의 작동에 필요한 필수 쿠키를 사용합니다. 귀하가 동의하는 경우 트래픽 "
            "분석 및 마케팅을 위해서도 쿠키를 사용합니다. 동의, 거부 또는 범주별 선택이 가능하며, "
            "언제든지 선택을 변경할 수 있습니다."
        ),
        "policy_link": "개인정보 처리방침",
        "accept_all": "모두 동의",
        "reject_all": "모두 거부",
        "preferences": "설정",
        "preferences_title": "쿠키 설정",
        "preferences_description": (
            "동의할 항목을 선택하십시오. 필수 쿠키가 없으면 사이트가 작동할 수 없으므로 필수 "
            "쿠키는 항상 활성화되어 있습니다."
        ),
        "save": "선택 저장",
        "close": "닫기",
        "always_on": "항상 활성",
        "reopen": "쿠키 설정",
        "withdraw": "동의 철회",
        "gpc_honored": (
            "옵트아웃 요청이 반영되었습니다. 귀하의 브라우저가 Global Privacy Control 신호를 "
            "보냈으므로, 저희는 귀하의 데이터를 마케팅 목적으로 판매하거나 공유하지 않습니다."
        ),
        "error": "선택 사항을 저장하지 못했습니다. 다시 시도해 주십시오.",
        "queued": "선택 사항이 아직 저장되지 않았습니다. 연결되는 대로 다시 보내겠습니다.",
        "opt_out_description": (
            "저희와 파트너는 분석 및 맞춤형 광고를 위해 쿠키를 사용합니다. 귀하는 언제든지 "
            "개인정보의 판매 또는 공유를 거부할 수 있습니다."
        ),
        "do_not_sell": "내 개인정보 판매 또는 공유 거부",
        "notice_description": (
            "이 사이트는 분석 및 마케팅을 위해 쿠키를 사용합니다. 귀하는 이러한 쿠키를 거부할 수 "
            "있습니다."
        ),
        "dismiss": "확인",
        "policy_updated": "개인정보 처리방침이 변경되었습니다. 변경 사항:",
        "your_data": "귀하의 동의 데이터",
        "history": "선택 내역",
        "export": "다운로드(JSON)",
        "erase": "내 동의 데이터 삭제",
        "erase_confirm": "동의 기록에 포함된 개인정보를 삭제하시겠습니까? 현재 선택은 취소됩니다.",
        "erased": "귀하의 동의 데이터가 삭제되었습니다.",
        "receipt": "확인서",
        "receipt_title": "동의 확인서",
        "receipt_intro": "이 기록은 이 웹사이트에서 귀하가 한 쿠키 선택을 확인합니다.",
        "receipt_site": "웹사이트",
        "receipt_visitor": "방문자 ID",
        "receipt_action": "작업",
        "receipt_time": "일시",
        "receipt_policy": "처리방침 버전",
        "receipt_region": "지역",
        "receipt_purposes": "목적",
        "receipt_allowed": "허용",
        "receipt_refused": "거부",
        "receipt_expires": "만료일",
        "receipt_withdrawal": (
            "귀하는 동의를 철회했습니다. 이제부터 필수가 아닌 쿠키는 사용되지 않으며, 고지된 쿠키 "
            "데이터는 귀하의 브라우저에서 삭제됩니다. 철회 이전에 이루어진 처리는 여전히 "
            "적법합니다. 언제든지 다시 동의할 수 있습니다."
        ),
        "receipt_print": "확인서 인쇄",
        "receipt_invalid": (
            "이 확인서 링크는 유효하지 않습니다. 웹사이트의 쿠키 설정에서 확인서를 다시 여세요."
        ),
        "receipt_not_found": (
            "이 링크에 해당하는 기록된 선택이 없습니다. 웹사이트의 쿠키 설정에서 확인서를 다시 "
            "여세요."
        ),
        "receipt_unavailable": "지금은 영수증을 표시할 수 없습니다. 몇 분 후에 다시 시도해 주세요.",
    },
    "zh": {
        "title": "我们尊重您的隐私",
        "description": (
            "我们使用必要Cookie以确保本网站正常运行。经您同意后，"
            "我们还会使用Cookie分析访问流量并用于营销。您可以接受、拒绝或按类别选择，"
            "并可随时更改您的选择。"
        ),
        "policy_link": "隐私政策",
        "accept_all": "全部接受",
        "reject_all": "全部拒绝",
        "preferences": "偏好设置",
        "preferences_title": "Cookie偏好设置",
        "preferences_description": (
            "请选择您同意的项目。必要Cookie始终启用，因为没有它们，网站将无法运行。"
        ),
        "save": "保存选择",
        "close": "关闭",
        "always_on": "始终启用",
        "reopen": "Cookie设置",
        "withdraw": "撤回同意",
        "gpc_honored": (
            "已遵从退出请求：您的浏览器发送了Global Privacy Control信号，"
            "因此我们不会出于营销目的出售或共享您的数据。"
        ),
        "error": "未能保存您的选择。请重试。",
        "queued": "您的选择尚未保存：我们会在可以连接时重新发送。",
        "opt_out_description": (
            "我们及我们的合作伙伴使用Cookie进行分析和个性化广告。"
            "您可以随时选择退出对您个人信息的出售或共享。"
        ),
        "do_not_sell": "请勿出售或共享我的个人信息",
        "notice_description": "本网站使用Cookie进行分析和营销。您可以拒绝这些Cookie。",
        "dismiss": "知道了",
        "policy_updated": "我们已更新隐私政策。变更内容：",
        "your_data": "您的同意数据",
        "history": "您的选择记录",
        "export": "下载（JSON）",
        "erase": "删除我的同意数据",
        "erase_confirm": "要删除您同意记录中的个人信息吗？您当前的选择将被取消。",
        "erased": "您的同意数据已删除。",
        "receipt": "凭证",
        "receipt_title": "同意凭证",
        "receipt_intro": "本记录确认您在本网站上的Cookie选择。",
        "receipt_site": "网站",
        "receipt_visitor": "访客ID",
        "receipt_action": "操作",
        "receipt_time": "时间",
        "receipt_policy": "政策版本",
        "receipt_region": "地区",
        "receipt_purposes": "目的",
        "receipt_allowed": "已允许",
        "receipt_refused": "已拒绝",
        "receipt_expires": "到期时间",
        "receipt_withdrawal": (
            "您已撤回同意。从现在起，我们不再使用非必要Cookie，"
            "已声明的Cookie数据也会从您的浏览器中删除。撤回前已进行的处理仍然合法。"
            "您可以随时重新同意。"
        ),
        "receipt_print": "打印凭证",
        "receipt_invalid": "此凭证链接无效。请从网站的Cookie设置中重新打开凭证。",
        "receipt_not_found": "没有与此链接对应的已记录选择。请从网站的Cookie设置中重新打开凭证。",
        "receipt_unavailable": "目前无法显示此凭证。请几分钟后再试。",
    },
    "th": {
        "title": "เราเคารพความเป็นส่วนตัวของคุณ",
        "description": (
            "เราใช้คุกกี้ที่จำเป็นเพื่อให้เว็บไซต์นี้ทำงานได้ และเมื่อได้รับความยินยอมจากคุณ "
            "เราจะใช้คุกกี้เพื่อวิเคราะห์การเข้าชมและเพื่อการตลาดด้วย คุณสามารถยอมรับ ปฏิเสธ หรือเลือกตามหมวดหมู่ "
            "และเปลี่ยนแปลงตัวเลือกได้ทุกเมื่อ"
        ),
        "policy_link": "นโยบายความเป็นส่วนตัว",
        "accept_all": "ยอมรับทั้งหมด",
        "reject_all": "ปฏิเสธทั้งหมด",
        "preferences": "การตั้งค่า",
        "preferences_title": "การตั้งค่าคุกกี้",
        "preferences_description": (
            "โปรดเลือกรายการที่คุณยินยอม คุกกี้ที่จำเป็นจะเปิดใช้งานอยู่เสมอ "
            "เนื่องจากเว็บไซต์ไม่สามารถทำงานได้หากไม่มีคุกกี้เหล่านี้"
        ),
        "save": "บันทึกตัวเลือก",
        "close": "ปิด",
        "always_on": "เปิดใช้งานเสมอ",
        "reopen": "ตั้งค่าคุกกี้",
        "withdraw": "ถอนความยินยอม",
        "gpc_honored": (
            "ดำเนินการตามคำขอเลือกไม่เข้าร่วมแล้ว: เบราว์เซอร์ของคุณส่งสัญญาณ Global Privacy Control "
            "เราจึงไม่ขายหรือแบ่งปันข้อมูลของคุณเพื่อการตลาด"
        ),
        "error": "ไม่สามารถบันทึกตัวเลือกของคุณได้ โปรดลองอีกครั้ง",
        "queued": "ยังไม่ได้บันทึกตัวเลือกของคุณ เราจะส่งอีกครั้งทันทีที่ทำได้",
        "opt_out_description": (
            "เราและพันธมิตรใช้คุกกี้เพื่อการวิเคราะห์และการโฆษณาที่ปรับให้เหมาะกับคุณ "
            "คุณสามารถเลือกไม่ให้มีการขายหรือแบ่งปันข้อมูลส่วนบุคคลของคุณได้ทุกเมื่อ"
        ),
        "do_not_sell": "ไม่ขายหรือแบ่งปันข้อมูลส่วนบุคคลของฉัน",
        "notice_description": "เว็บไซต์นี้ใช้คุกกี้เพื่อการวิเคราะห์และการตลาด คุณสามารถปฏิเสธคุกกี้เหล่านี้ได้",
        "dismiss": "รับทราบ",
        "policy_updated": "เราได้ปรับปรุงนโยบายความเป็นส่วนตัวของเรา สิ่งที่เปลี่ยนแปลง:",
        "your_data": "ข้อมูลความยินยอมของคุณ",
        "history": "ประวัติการเลือกของคุณ",
        "export": "ดาวน์โหลด (JSON)",
        "erase": "ลบข้อมูลความยินยอมของฉัน",
        "erase_confirm": "ลบข้อมูลส่วนบุคคลในบันทึกความยินยอมของคุณหรือไม่? ตัวเลือกปัจจุบันของคุณจะถูกยกเลิก",
        "erased": "ลบข้อมูลความยินยอมของคุณแล้ว",
        "receipt": "ใบยืนยัน",
        "receipt_title": "ใบยืนยันความยินยอม",
        "receipt_intro": "บันทึกนี้ยืนยันตัวเลือกคุกกี้ของคุณบนเว็บไซต์นี้",
        "receipt_site": "เว็บไซต์",
        "receipt_visitor": "รหัสผู้เข้าชม",
        "receipt_action": "การดำเนินการ",
        "receipt_time": "วันเวลา",
        "receipt_policy": "เวอร์ชันนโยบาย",
        "receipt_region": "ภูมิภาค",
        "receipt_purposes": "วัตถุประสงค์",
        "receipt_allowed": "อนุญาต",
        "receipt_refused": "ปฏิเสธ",
        "receipt_expires": "หมดอายุ",
        "receipt_withdrawal": (
            "คุณได้ถอนความยินยอมแล้ว นับจากนี้จะไม่มีการใช้คุกกี้ที่ไม่จำเป็น "
            "และข้อมูลคุกกี้ที่แจ้งไว้จะถูกลบออกจากเบราว์เซอร์ของคุณ "
            "การประมวลผลที่เกิดขึ้นก่อนการถอนความยินยอมยังคงชอบด้วยกฎหมาย คุณสามารถให้ความยินยอมอีกครั้งได้ทุกเมื่อ"
        ),
        "receipt_print": "พิมพ์ใบยืนยัน",
        "receipt_invalid": ("ลิงก์ใบยืนยันนี้ไม่ถูกต้อง โปรดเปิดใบยืนยันอีกครั้งจากการตั้งค่าคุกกี้ของเว็บไซต์"),
        "receipt_not_found": (
            "ไม่มีตัวเลือกที่บันทึกไว้ซึ่งตรงกับลิงก์นี้ โปรดเปิดใบยืนยันอีกครั้งจากการตั้งค่าคุกกี้ของเว็บไซต์"
        ),
        "receipt_unavailable": "ไม่สามารถแสดงใบยืนยันได้ในขณะนี้ โปรดลองอีกครั้งในอีกสักครู่",
    },
    "id": {
        "title": "Kami menghormati privasi Anda",
        "description": (
            "Kami menggunakan cookie esensial agar situs ini dapat berfungsi. Dengan persetujuan "
            "Anda, kami juga menggunakan cookie untuk menganalisis lalu lintas dan untuk "
            "pemasaran. Anda dapat menerima, menolak, atau memilih per kategori, serta mengubah "
            "pilihan Anda kapan saja."
        ),
        "policy_link": "Kebijakan privasi",
        "accept_all": "Terima semua",
        "reject_all": "Tolak semua",
        "preferences": "Preferensi",
        "preferences_title": "Preferensi cookie",
        "preferences_description": (
            "Pilih hal yang Anda setujui. Cookie esensial selalu aktif karena situs tidak dapat "
            "berfungsi tanpanya."
        ),
        "save": "Simpan pilihan",
        "close": "Tutup",
        "always_on": "Selalu aktif",
        "reopen": "Pengaturan cookie",
        "withdraw": "Tarik persetujuan",
        "gpc_honored": (
            "Permintaan opt-out telah dipenuhi: peramban Anda mengirimkan sinyal "
            "Global Privacy Control, sehingga kami tidak menjual atau membagikan data Anda untuk "
            "pemasaran."
        ),
        "error": "Pilihan Anda tidak dapat disimpan. Silakan coba lagi.",
        "queued": (
            "Pilihan Anda belum tersimpan: kami akan "
            "mengirimkannya lagi segera setelah memungkinkan."
        ),
        "opt_out_description": (
            "Kami dan mitra kami menggunakan cookie untuk analitik dan iklan yang dipersonalisasi. "
            "Anda dapat menolak penjualan atau pembagian informasi pribadi Anda kapan saja."
        ),
        "do_not_sell": "Jangan jual atau bagikan informasi pribadi saya",
        "notice_description": (
            "Situs ini menggunakan cookie untuk analitik dan pemasaran. Anda dapat menolaknya."
        ),
        "dismiss": "Mengerti",
        "policy_updated": "Kami telah memperbarui kebijakan privasi kami. Perubahannya:",
        "your_data": "Data persetujuan Anda",
        "history": "Riwayat pilihan Anda",
        "export": "Unduh (JSON)",
        "erase": "Hapus data persetujuan saya",
        "erase_confirm": (
            "Hapus data pribadi dalam catatan persetujuan Anda? Pilihan Anda saat ini akan "
            "dibatalkan."
        ),
        "erased": "Data persetujuan Anda telah dihapus.",
        "receipt": "Bukti",
        "receipt_title": "Bukti persetujuan",
        "receipt_intro": "Catatan ini mengonfirmasi pilihan cookie Anda di situs web ini.",
        "receipt_site": "Situs web",
        "receipt_visitor": "ID pengunjung",
        "receipt_action": "Tindakan",
        "receipt_time": "Waktu",
        "receipt_policy": "Versi kebijakan",
        "receipt_region": "Wilayah",
        "receipt_purposes": "Tujuan",
        "receipt_allowed": "Diizinkan",
        "receipt_refused": "Ditolak",
        "receipt_expires": "Kedaluwarsa",
        "receipt_withdrawal": (
            "Anda telah menarik persetujuan Anda. Mulai sekarang, cookie non-esensial tidak lagi "
            "digunakan dan data cookie yang dideklarasikan dihapus dari peramban Anda. Pemrosesan "
            "sebelum penarikan tetap sah. Anda dapat memberikan persetujuan kembali kapan saja."
        ),
        "receipt_print": "Cetak bukti",
        "receipt_invalid": (
            "Tautan bukti ini tidak valid. Buka kembali bukti Anda dari Pengaturan cookie di situs "
            "web."
        ),
        "receipt_not_found": (
            "Tidak ada pilihan tercatat yang cocok dengan tautan ini. Buka kembali bukti Anda dari "
            "Pengaturan cookie di situs web."
        ),
        "receipt_unavailable": (
            "Tanda terima tidak dapat ditampilkan saat ini. Silakan coba lagi dalam beberapa menit."
        ),
    },
}

MORE_CATEGORY_TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "essential": {
        "fr": {
            "title": "Essentiels",
            "description": (
                "Maintiennent votre session, conservent votre panier, assurent la sécurité et "
                "mémorisent ce choix même."
            ),
        },
        "de": {
            "title": "Notwendig",
            "description": (
                "Sorgen dafür, dass Sie angemeldet bleiben, speichern Ihren Warenkorb, dienen der "
                "Sicherheit und merken sich genau diese Auswahl."
            ),
        },
        "es": {
            "title": "Esenciales",
            "description": (
                "Mantienen su sesión iniciada, guardan su carrito, protegen la seguridad y "
                "recuerdan esta misma elección."
            ),
        },
        "pt": {
            "title": "Essenciais",
            "description": (
                "Mantêm a sua sessão iniciada, guardam o seu carrinho, garantem a segurança e "
                "memorizam esta mesma escolha."
            ),
        },
        "it": {
            "title": "Essenziali",
            "description": (
                "Mantengono l'accesso al suo account, conservano il carrello, garantiscono la "
                "sicurezza e memorizzano questa stessa scelta."
            ),
        },
        "nl": {
            "title": "Noodzakelijk",
            "description": (
                "Houden u ingelogd, onthouden uw winkelwagen, zorgen voor beveiliging en bewaren "
                "juist deze keuze."
            ),
        },
        "ja": {
            "title": "必須",
            "description": (
                "ログイン状態、ショッピングカート、セキュリティ、"
                "そしてこの選択そのものを維持します。"
            ),
        },
        "ko": {
            "title": "필수",
            "description": "로그인 상태, 장바구니, 보안 및 바로 이 쿠키 선택을 유지합니다.",
        },
        "zh": {
            "title": "必要",
            "description": "保持您的登录状态、购物车、安全性以及这项Cookie选择本身。",
        },
        "th": {
            "title": "จำเป็น",
            "description": "ช่วยให้คุณยังคงเข้าสู่ระบบ จดจำตะกร้าสินค้า รักษาความปลอดภัย และจดจำตัวเลือกนี้เอง",
        },
        "id": {
            "title": "Esensial",
            "description": (
                "Menjaga Anda tetap masuk, menyimpan keranjang belanja, menjaga keamanan, dan "
                "mengingat pilihan ini sendiri."
            ),
        },
    },
    "analytics": {
        "fr": {
            "title": "Mesure d'audience",
            "description": (
                "Comptent les visites et mesurent l'utilisation du site afin de l'améliorer."
            ),
        },
        "de": {
            "title": "Analyse",
            "description": (
                "Zählen Besuche und messen, wie die Website genutzt wird, um sie zu verbessern."
            ),
        },
        "es": {
            "title": "Analíticas",
            "description": "Cuentan las visitas y miden cómo se usa el sitio para mejorarlo.",
        },
        "pt": {
            "title": "Análise",
            "description": (
                "Contam as visitas e medem a forma como o site é utilizado, para o melhorar."
            ),
        },
        "it": {
            "title": "Statistiche",
            "description": (
                "Contano le visite e misurano come viene utilizzato il sito, per migliorarlo."
            ),
        },
        "nl": {
            "title": "Analyse",
            "description": (
                "Tellen bezoeken en meten hoe de website wordt gebruikt, om deze te verbeteren."
            ),
        },
        "ja": {
            "title": "分析",
            "description": "サイトを改善するため、訪問数を数え、サイトの利用状況を測定します。",
        },
        "ko": {
            "title": "분석",
            "description": "방문 횟수를 집계하고 사이트 이용 방식을 측정하여 사이트를 개선합니다.",
        },
        "zh": {
            "title": "分析",
            "description": "统计访问量并衡量网站的使用情况，以改进网站。",
        },
        "th": {
            "title": "การวิเคราะห์",
            "description": "นับจำนวนการเข้าชมและวัดการใช้งานเว็บไซต์ เพื่อนำไปปรับปรุงเว็บไซต์",
        },
        "id": {
            "title": "Analitik",
            "description": (
                "Menghitung kunjungan dan mengukur cara situs digunakan, untuk meningkatkannya."
            ),
        },
    },
    "marketing": {
        "fr": {
            "title": "Marketing",
            "description": (
                "Affichent des publicités pertinentes et mesurent leur efficacité sur d'autres "
                "sites."
            ),
        },
        "de": {
            "title": "Marketing",
            "description": (
                "Zeigen relevante Werbung an und messen deren Wirkung auf anderen Websites."
            ),
        },
        "es": {
            "title": "Marketing",
            "description": "Muestran anuncios relevantes y miden su efecto en otros sitios.",
        },
        "pt": {
            "title": "Marketing",
            "description": "Mostram anúncios relevantes e medem o seu efeito noutros sites.",
        },
        "it": {
            "title": "Marketing",
            "description": "Mostrano annunci pertinenti e ne misurano l'efficacia su altri siti.",
        },
        "nl": {
            "title": "Marketing",
            "description": (
                "Tonen relevante advertenties en meten het effect ervan op andere websites."
            ),
        },
        "ja": {
            "title": "マーケティング",
            "description": "関連性の高い広告を表示し、他のサイトでの広告効果を測定します。",
        },
        "ko": {
            "title": "마케팅",
            "description": "관련성 높은 광고를 표시하고 다른 사이트에서의 광고 효과를 측정합니다.",
        },
        "zh": {
            "title": "营销",
            "description": "展示相关广告，并衡量其在其他网站上的效果。",
        },
        "th": {
            "title": "การตลาด",
            "description": "แสดงโฆษณาที่เกี่ยวข้องและวัดผลของโฆษณาบนเว็บไซต์อื่น",
        },
        "id": {
            "title": "Pemasaran",
            "description": "Menampilkan iklan yang relevan dan mengukur efeknya di situs lain.",
        },
    },
    "preferences": {
        "fr": {
            "title": "Préférences",
            "description": (
                "Mémorisent vos choix, comme la langue ou la région, afin de personnaliser le site."
            ),
        },
        "de": {
            "title": "Präferenzen",
            "description": (
                "Merken sich Einstellungen wie Sprache oder Region, um die Website zu "
                "personalisieren."
            ),
        },
        "es": {
            "title": "Preferencias",
            "description": (
                "Recuerdan opciones como el idioma o la región para personalizar el sitio."
            ),
        },
        "pt": {
            "title": "Preferências",
            "description": "Memorizam escolhas como o idioma ou a região para personalizar o site.",
        },
        "it": {
            "title": "Preferenze",
            "description": (
                "Ricordano scelte come la lingua o la regione per personalizzare il sito."
            ),
        },
        "nl": {
            "title": "Voorkeuren",
            "description": "Onthouden keuzes zoals taal of regio om de website te personaliseren.",
        },
        "ja": {
            "title": "ユーザー設定",
            "description": "言語や地域などの選択内容を記憶し、サイトをお客様に合わせて表示します。",
        },
        "ko": {
            "title": "기본 설정",
            "description": "언어나 지역 등의 선택 사항을 기억하여 사이트를 개인화합니다.",
        },
        "zh": {
            "title": "偏好",
            "description": "记住语言或地区等选择，以便为您个性化网站。",
        },
        "th": {
            "title": "การตั้งค่าส่วนบุคคล",
            "description": "จดจำตัวเลือก เช่น ภาษาหรือภูมิภาค เพื่อปรับเว็บไซต์ให้เหมาะกับคุณ",
        },
        "id": {
            "title": "Preferensi",
            "description": (
                "Mengingat pilihan seperti bahasa atau wilayah untuk menyesuaikan situs."
            ),
        },
    },
}

# The public cookie declaration (``/c/<key>/declaration``) and the widget's data-role="declaration".
MORE_DECLARATION_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "declaration_title": "Déclaration relative aux cookies",
        "declaration_intro": (
            "Cette page liste les cookies utilisés par ce site, par finalité, avec le service qui "
            "les dépose et leur durée de conservation."
        ),
        "declaration_updated": "Dernière modification : {date}",
        "declaration_cookie": "Cookie",
        "declaration_service": "Service",
        "declaration_domain": "Domaine",
        "declaration_purpose": "Finalité",
        "declaration_lifetime": "Durée",
        "declaration_day": "1 jour",
        "declaration_days": "{n} jours",
        "declaration_session": "Jusqu'à la fermeture du navigateur",
        "declaration_consent_service": "Consentement aux cookies",
        "declaration_consent_cookie": (
            "Conserve votre choix concernant les cookies pour ne "
            "pas vous le redemander à chaque page."
        ),
        "declaration_consent_session": (
            "Indique que votre choix a été confirmé pendant cette session du navigateur."
        ),
        "declaration_no_cookies": "Aucun cookie n'est déclaré pour cette catégorie.",
        "declaration_not_found": "Aucun site ne correspond à cette adresse.",
    },
    "de": {
        "declaration_title": "Cookie-Erklärung",
        "declaration_intro": (
            "Diese Seite listet die Cookies dieser Website nach Zweck auf, mit dem Dienst, der sie "
            "setzt, und ihrer Speicherdauer."
        ),
        "declaration_updated": "Zuletzt geändert: {date}",
        "declaration_cookie": "Cookie",
        "declaration_service": "Dienst",
        "declaration_domain": "Domain",
        "declaration_purpose": "Zweck",
        "declaration_lifetime": "Speicherdauer",
        "declaration_day": "1 Tag",
        "declaration_days": "{n} Tage",
        "declaration_session": "Bis der Browser geschlossen wird",
        "declaration_consent_service": "Cookie-Einwilligung",
        "declaration_consent_cookie": (
            "Speichert Ihre Cookie-Auswahl, damit Sie nicht auf jeder Seite erneut gefragt werden."
        ),
        "declaration_consent_session": (
            "Vermerkt, dass Ihre Auswahl in dieser Browsersitzung bestätigt wurde."
        ),
        "declaration_no_cookies": "Für diese Kategorie sind keine Cookies angegeben.",
        "declaration_not_found": "Unter dieser Adresse gibt es keine Website.",
    },
    "es": {
        "declaration_title": "Declaración de cookies",
        "declaration_intro": (
            "Esta página enumera las cookies que usa este sitio, por finalidad, con el servicio "
            "que las instala y cuánto tiempo se conservan."
        ),
        "declaration_updated": "Última modificación: {date}",
        "declaration_cookie": "Cookie",
        "declaration_service": "Servicio",
        "declaration_domain": "Dominio",
        "declaration_purpose": "Finalidad",
        "declaration_lifetime": "Duración",
        "declaration_day": "1 día",
        "declaration_days": "{n} días",
        "declaration_session": "Hasta que se cierra el navegador",
        "declaration_consent_service": "Consentimiento de cookies",
        "declaration_consent_cookie": (
            "Guarda su elección sobre las cookies para no volver a preguntarle en cada página."
        ),
        "declaration_consent_session": (
            "Indica que su elección se confirmó durante esta sesión del navegador."
        ),
        "declaration_no_cookies": "No se declaran cookies en esta categoría.",
        "declaration_not_found": "No hay ningún sitio con esta dirección.",
    },
    "pt": {
        "declaration_title": "Declaração de cookies",
        "declaration_intro": (
            "Esta página lista os cookies que este site usa, por finalidade, com o serviço que os "
            "define e por quanto tempo são mantidos."
        ),
        "declaration_updated": "Última alteração: {date}",
        "declaration_cookie": "Cookie",
        "declaration_service": "Serviço",
        "declaration_domain": "Domínio",
        "declaration_purpose": "Finalidade",
        "declaration_lifetime": "Duração",
        "declaration_day": "1 dia",
        "declaration_days": "{n} dias",
        "declaration_session": "Até o navegador ser fechado",
        "declaration_consent_service": "Consentimento de cookies",
        "declaration_consent_cookie": (
            "Guarda a sua escolha sobre cookies para não voltar a perguntar em cada página."
        ),
        "declaration_consent_session": (
            "Indica que a sua escolha foi confirmada nesta sessão do navegador."
        ),
        "declaration_no_cookies": "Nenhum cookie é declarado nesta categoria.",
        "declaration_not_found": "Não há nenhum site com este endereço.",
    },
    "it": {
        "declaration_title": "Dichiarazione sui cookie",
        "declaration_intro": (
            "Questa pagina elenca i cookie usati da questo sito, per finalità, con il servizio che "
            "li imposta e per quanto tempo vengono conservati."
        ),
        "declaration_updated": "Ultima modifica: {date}",
        "declaration_cookie": "Cookie",
        "declaration_service": "Servizio",
        "declaration_domain": "Dominio",
        "declaration_purpose": "Finalità",
        "declaration_lifetime": "Durata",
        "declaration_day": "1 giorno",
        "declaration_days": "{n} giorni",
        "declaration_session": "Fino alla chiusura del browser",
        "declaration_consent_service": "Consenso ai cookie",
        "declaration_consent_cookie": (
            "Conserva la tua scelta sui cookie per non chiedertela di nuovo a ogni pagina."
        ),
        "declaration_consent_session": (
            "Indica che la tua scelta è stata confermata in questa sessione del browser."
        ),
        "declaration_no_cookies": "Nessun cookie dichiarato per questa categoria.",
        "declaration_not_found": "Non esiste alcun sito a questo indirizzo.",
    },
    "nl": {
        "declaration_title": "Cookieverklaring",
        "declaration_intro": (
            "Deze pagina somt de cookies van deze website op, per doel, met de dienst die ze "
            "plaatst en hoe lang ze worden bewaard."
        ),
        "declaration_updated": "Laatst gewijzigd: {date}",
        "declaration_cookie": "Cookie",
        "declaration_service": "Dienst",
        "declaration_domain": "Domein",
        "declaration_purpose": "Doel",
        "declaration_lifetime": "Bewaartermijn",
        "declaration_day": "1 dag",
        "declaration_days": "{n} dagen",
        "declaration_session": "Tot de browser wordt gesloten",
        "declaration_consent_service": "Cookietoestemming",
        "declaration_consent_cookie": (
            "Bewaart uw cookiekeuze, zodat u niet op elke pagina opnieuw wordt gevraagd."
        ),
        "declaration_consent_session": "Geeft aan dat uw keuze in deze browsersessie is bevestigd.",
        "declaration_no_cookies": "Voor deze categorie zijn geen cookies opgegeven.",
        "declaration_not_found": "Er is geen website op dit adres.",
    },
    "ja": {
        "declaration_title": "Cookieに関する表示",
        "declaration_intro": (
            "このページでは、このサイトが使用するCookieを目的別に、設定するサービスと保存期間とともに示します。"
        ),
        "declaration_updated": "最終更新日：{date}",
        "declaration_cookie": "Cookie",
        "declaration_service": "サービス",
        "declaration_domain": "ドメイン",
        "declaration_purpose": "目的",
        "declaration_lifetime": "保存期間",
        "declaration_day": "1日",
        "declaration_days": "{n}日",
        "declaration_session": "ブラウザを閉じるまで",
        "declaration_consent_service": "Cookieの同意",
        "declaration_consent_cookie": (
            "Cookieに関するあなたの選択を保存し、ページごとに再度確認しないようにします。"
        ),
        "declaration_consent_session": (
            "このブラウザセッションで選択が確認済みであることを記録します。"
        ),
        "declaration_no_cookies": "このカテゴリに登録されたCookieはありません。",
        "declaration_not_found": "このアドレスのサイトはありません。",
    },
    "ko": {
        "declaration_title": "쿠키 고지",
        "declaration_intro": (
            "이 페이지는 이 사이트가 사용하는 쿠키를 목적별로, "
            "쿠키를 설정하는 서비스와 보관 기간과 함께 보여 줍니다."
        ),
        "declaration_updated": "마지막 변경: {date}",
        "declaration_cookie": "쿠키",
        "declaration_service": "서비스",
        "declaration_domain": "도메인",
        "declaration_purpose": "목적",
        "declaration_lifetime": "보관 기간",
        "declaration_day": "1일",
        "declaration_days": "{n}일",
        "declaration_session": "브라우저를 닫을 때까지",
        "declaration_consent_service": "쿠키 동의",
        "declaration_consent_cookie": "쿠키 선택을 저장하여 페이지마다 다시 묻지 않도록 합니다.",
        "declaration_consent_session": "이 브라우저 세션에서 선택이 확인되었음을 기록합니다.",
        "declaration_no_cookies": "이 범주에 등록된 쿠키가 없습니다.",
        "declaration_not_found": "이 주소의 사이트가 없습니다.",
    },
    "zh": {
        "declaration_title": "Cookie 声明",
        "declaration_intro": "本页按用途列出本网站使用的 Cookie，以及设置它们的服务和保存期限。",
        "declaration_updated": "最后更新：{date}",
        "declaration_cookie": "Cookie",
        "declaration_service": "服务",
        "declaration_domain": "域名",
        "declaration_purpose": "用途",
        "declaration_lifetime": "保存期限",
        "declaration_day": "1 天",
        "declaration_days": "{n} 天",
        "declaration_session": "直到关闭浏览器",
        "declaration_consent_service": "Cookie 同意",
        "declaration_consent_cookie": "保存您的 Cookie 选择，以免在每个页面再次询问。",
        "declaration_consent_session": "记录您的选择已在本次浏览器会话中确认。",
        "declaration_no_cookies": "此类别没有声明任何 Cookie。",
        "declaration_not_found": "此地址没有对应的网站。",
    },
    "th": {
        "declaration_title": "คำประกาศเกี่ยวกับคุกกี้",
        "declaration_intro": (
            "หน้านี้แสดงคุกกี้ที่เว็บไซต์นี้ใช้ แยกตามวัตถุประสงค์ พร้อมบริการที่ตั้งค่าคุกกี้และระยะเวลาการเก็บรักษา"
        ),
        "declaration_updated": "แก้ไขล่าสุด: {date}",
        "declaration_cookie": "คุกกี้",
        "declaration_service": "บริการ",
        "declaration_domain": "โดเมน",
        "declaration_purpose": "วัตถุประสงค์",
        "declaration_lifetime": "ระยะเวลาการเก็บรักษา",
        "declaration_day": "1 วัน",
        "declaration_days": "{n} วัน",
        "declaration_session": "จนกว่าจะปิดเบราว์เซอร์",
        "declaration_consent_service": "ความยินยอมคุกกี้",
        "declaration_consent_cookie": "จัดเก็บตัวเลือกคุกกี้ของคุณ เพื่อไม่ต้องถามซ้ำในทุกหน้า",
        "declaration_consent_session": ("บันทึกว่าตัวเลือกของคุณได้รับการยืนยันแล้วในเซสชันเบราว์เซอร์นี้"),
        "declaration_no_cookies": "ไม่มีคุกกี้ที่ประกาศไว้ในหมวดหมู่นี้",
        "declaration_not_found": "ไม่มีเว็บไซต์ที่ที่อยู่นี้",
    },
    "id": {
        "declaration_title": "Pernyataan cookie",
        "declaration_intro": (
            "Halaman ini mencantumkan cookie yang digunakan situs ini, menurut tujuannya, beserta "
            "layanan yang memasangnya dan berapa lama cookie disimpan."
        ),
        "declaration_updated": "Terakhir diubah: {date}",
        "declaration_cookie": "Cookie",
        "declaration_service": "Layanan",
        "declaration_domain": "Domain",
        "declaration_purpose": "Tujuan",
        "declaration_lifetime": "Masa simpan",
        "declaration_day": "1 hari",
        "declaration_days": "{n} hari",
        "declaration_session": "Sampai browser ditutup",
        "declaration_consent_service": "Persetujuan cookie",
        "declaration_consent_cookie": (
            "Menyimpan pilihan cookie Anda agar tidak ditanyakan lagi di setiap halaman."
        ),
        "declaration_consent_session": (
            "Mencatat bahwa pilihan Anda telah dikonfirmasi dalam sesi browser ini."
        ),
        "declaration_no_cookies": "Tidak ada cookie yang dinyatakan untuk kategori ini.",
        "declaration_not_found": "Tidak ada situs di alamat ini.",
    },
}
