"""Deutsch: was Fans, Veranstalter, Presse, Trolle und Bots der Band schreiben."""

from __future__ import annotations

from inbox.sandbox.phrasebook import Phrasebook, Topic

_T = Topic

PHRASEBOOK = Phrasebook(
    lang="de",
    topics={
        "praise_song": _T(
            short=(
                "{song} läuft seit einer Woche in Dauerschleife, ich kann nicht aufhören",
                "die Bridge in {song} macht mich jedes Mal fertig",
                "{song} ist das Beste, was ihr je geschrieben habt, da diskutiere ich nicht",
                "hab {song} zum ersten Mal im Auto gehört und musste rechts ranfahren",
                "können wir über die Bassline in {song} reden?? {member} du Genie",
                "{song} um 2 Uhr nachts mit Kopfhörern ist eine andere Welt",
                "{album} klingt immer noch wie neu, vor allem {song}",
                "heulend in der S-Bahn zu {song}, ganz normaler Dienstag",
                "wer auch immer {song} gemischt hat: danke. dieses Schlagzeug!!",
                "wie {member} den letzten Refrain von {song} singt… Gänsehaut",
                "laut Handy hab ich {song} heute {count} mal gehört. Hilfe",
                "hab endlich meinen Freund zu {band} bekehrt. {song} hat's geschafft",
                "{song} und direkt danach {other_song} ist eine spirituelle Erfahrung",
                "das Outro von {song} dürfte doppelt so lang sein, einzige Kritik",
                "die Synths bei {timestamp} in {song}. mehr sag ich nicht",
                "{album} ist ein perfektes Album, kein einziger Skip",
                "dritter Durchlauf und {song} ist für immer in meinem Kopf",
            ),
            long=(
                (
                    "Ich schreibe Bands normalerweise nie, aber ich musste euch sagen, was {song} mir bedeutet.",
                    "Ich wollte euch schon seit Wochen schreiben: {album} ist der Soundtrack meines Herbstes.",
                ),
                (
                    "Als ich das Lied zum ersten Mal gehört habe, bin ich im Regen durch {home_city} nach Hause gelaufen und bin stehen geblieben, um es dreimal hintereinander zu hören.",
                    "Irgendetwas an der Art, wie {member} den letzten Refrain singt, kann ich nicht beschreiben. Als hätte endlich jemand Worte für etwas gefunden, das ich seit Jahren fühle.",
                    "Ich habe es inzwischen {count} Mal gehört und entdecke immer noch neue Details im Arrangement, vor allem die Streicher am Ende.",
                ),
                ("Danke für so ehrliche Musik.", "Bitte macht weiter genau solche Platten."),
            ),
            subjects=(
                "{song} 💙",
                "Danke für {album}",
                "Ein kleines Dankeschön",
                "Fanpost aus {home_city}",
            ),
        ),
        "praise_show": _T(
            short=(
                "immer noch nicht erholt vom Konzert im {venue} {when_past}. bestes Konzert meines Lebens",
                "{city} war unwirklich, {member} du warst on fire",
                "diese Zugabe im {venue}!! als ihr {song} akustisch gespielt habt, war's um mich geschehen",
                "das {count}. Mal, dass ich euch live sehe, und es wird immer besser",
                "der Sound im {venue} war perfekt, danke, dass ihr nach {city} gekommen seid",
                "der ganze Saal hat in {city} den Refrain von {song} gesungen. Gänsehaut",
                "die Ohren klingeln noch vom {venue}. hat sich gelohnt",
                "{member}, der im {venue} in die Menge springt: für immer abgespeichert",
                "danke, dass ihr nach dem Konzert in {city} meine Platte signiert habt",
                "{when_past} zum ersten Mal {band} live gesehen und wow. einfach wow",
                "der neue Song, den ihr in {city} gespielt habt, wann kommt der raus??",
                "erste Reihe im {venue}, meine Stimme ist weg",
                "vier Stunden nach {city} gefahren und ich würde es morgen wieder tun",
                "die Lichtshow bei {song} im {venue}!!! wer hat die gemacht",
            ),
            long=(
                (
                    "Ich war {when_past} bei eurem Konzert im {venue} in {city} und schwebe immer noch.",
                    "Ich bin aus {home_city} nach {other_city} gefahren, um euch zu sehen, und wollte einfach Danke sagen.",
                ),
                (
                    "Als ihr mit {song} angefangen habt, wurde es ganz still und dann hat der ganze Saal den Refrain gesungen. So etwas habe ich noch nie erlebt.",
                    "Die neuen Songs sind live noch schöner, und die kleine Ansage von {member} vor {other_song} hat den halben Saal zum Weinen gebracht (mich auch).",
                    "Es war das {count}. Mal, dass ich euch gesehen habe, und ehrlich gesagt das beste. Ihr saht so glücklich aus.",
                ),
                ("Kommt bald wieder!", "Die Tickets fürs nächste Mal habe ich schon."),
            ),
            subjects=("Euer Konzert in {city}", "Danke, {city}!", "Bestes Konzert des Jahres"),
        ),
        "tour_question": _T(
            short=(
                "wann startet der Vorverkauf für {city}?",
                "kommt ihr dieses Jahr nach {home_city}?? bitte bitte",
                "ist das Konzert am {date} in {city} ab 18 oder für alle?",
                "gibt es einen Presale für {city}? meine Freundinnen und ich sind verzweifelt",
                "{city} in 4 Minuten ausverkauft 😭 gibt es ein Zusatzkonzert?",
                "wann ist Einlass im {venue}?",
                "gibt es Merch bei den Konzerten oder nur online?",
                "wann kündigt ihr den Rest der Tour an?",
                "spielt ihr {song} auf dieser Tour? frage für meine mentale Gesundheit",
                "ist das {venue} bestuhlt oder Stehplatz?",
                "wer ist euer Support in {city}?",
                "irgendwann mal ein Konzert in {home_city}? hier kommt nie jemand hin",
                "wie lange geht das Konzert ungefähr? muss die letzte Bahn nach dem {venue} kriegen",
                "gibt es eine Warteliste für {city}? war ausverkauft bevor mein Gehalt kam 😩",
                "spielt ihr diesen Sommer auf Festivals? würde euch gern in der Nähe von {home_city} sehen",
                "sind die Tickets für {city} bei {ticket_vendor} die offiziellen?",
            ),
            long=(
                (
                    "Ich bin ein großer Fan aus {home_city} und habe eine Frage zur Tour.",
                    "Entschuldigt die Mail, ich habe die Antwort auf der Website nicht gefunden.",
                ),
                (
                    "Wird es einen Termin in der Nähe von {home_city} geben? Das nächste Konzert ist in {other_city} und unter der Woche schaffe ich das nicht.",
                    "Ist die Location in {city} ({date}) rollstuhlgerecht? Mein Bruder würde gern mitkommen.",
                    "Werden die Tickets für {city} in mehreren Kontingenten verkauft? Das erste war in Minuten weg.",
                ),
                ("Vielen Dank und bis bald auf Tour!", "Danke fürs Lesen!"),
            ),
            subjects=(
                "Frage zum Konzert in {city}",
                "Eine Frage zur Tour",
                "Termine in der Nähe von {home_city}?",
            ),
        ),
        "request": _T(
            short=(
                "bitte bringt eine Live-Version von {song} raus",
                "Vinyl-Nachpressung von {album} wann?? ist seit Ewigkeiten ausverkauft",
                "könnt ihr in {city} {other_song} spielen? würde mir die Welt bedeuten",
                "{song} braucht ein richtiges Musikvideo",
                "könnt ihr die Akkorde von {song} posten? versuche es auf der Gitarre zu lernen",
                "gibt es {merch_item} auch in größeren Größen?",
                "bitte eine Akustik-Session von {song} 🙏",
                "holt {other_song} zurück in die Setlist!!",
                "{member} bitte ein Tutorial für das Riff von {song}",
                "Übersetzung der Lyrics von {song} bitte, mein Französisch reicht nicht 😅",
                "könnt ihr die Setlist von {city} posten? will eine Playlist machen",
            ),
            long=(
                (
                    "Ich habe eine kleine Bitte und hoffe, das ist okay.",
                    "Ich bin seit {year_past} Fan und habe einen Wunsch.",
                ),
                (
                    "Könntet ihr {old_album} nochmal auf Vinyl pressen? Gebraucht ist es unbezahlbar.",
                    "Meine beste Freundin hat am {date} Geburtstag und liebt {song}; eine kurze Videonachricht von {member} würde sie zum Weinen bringen (im guten Sinn).",
                    "Könntet ihr die Lyrics von {song} mit Übersetzung veröffentlichen? Viele von uns würden sie gern richtig verstehen.",
                ),
                ("So oder so: danke für alles.", "Kein Problem, falls es nicht geht!"),
            ),
            subjects=(
                "Eine kleine Bitte",
                "Eine Bitte aus {home_city}",
                "Eine Frage und ein Wunsch",
            ),
        ),
        "personal": _T(
            short=(
                "{song} hat mich durch das schlimmste Jahr meines Lebens gebracht. danke, wirklich",
                "meine zweijährige Tochter tanzt jeden Morgen zu {song}. ihr habt einen neuen Fan",
                "unser Hochzeitstanz {when_past} war zu {song} 💍",
                "hab meine beste Freundin {year_past} in der Schlange vor eurem Konzert in {city} kennengelernt",
                "hab mir heute eine Zeile aus {song} tätowieren lassen. null Reue",
                "arbeite nachts im Krankenhaus und {album} hält mich um 4 Uhr morgens wach",
                "lerne mit {song} in Dauerschleife für meine Prüfungen, drückt mir die Daumen",
                "mein Vater und ich sind uns bei nichts einig außer bei {band}",
                "Fan seit {year_past}, hätte nie gedacht, dass ihr so groß werdet. bin so stolz",
                "hab im Frühling meine Mutter verloren. {song} war ihr Lieblingslied. danke dafür",
                "meine Band hat {song} bei unserem ersten Gig gecovert, hoffe das ist ok 😅",
            ),
            long=(
                (
                    "Das ist eine etwas persönliche Nachricht, ihr dürft sie gern überspringen.",
                    "Ich wollte euch schon lange schreiben.",
                ),
                (
                    "Letztes Jahr war das schwerste meines Lebens und {album} war das Einzige, was ich hören konnte. {song} hat mir in den schlimmsten Nächten das Gefühl gegeben, nicht allein zu sein.",
                    "Mein Partner und ich haben uns {year_past} auf eurem Konzert im {venue} kennengelernt. Diesen Sommer heiraten wir, und wir ziehen zu {song} ein.",
                    "Ich arbeite nachts in einem Krankenhaus in {home_city} und eure Platten begleiten mich auf dem Heimweg.",
                ),
                (
                    "Deshalb von Herzen: danke.",
                    "Ich wollte nur, dass ihr wisst, dass eure Musik zählt.",
                ),
            ),
            subjects=("Danke", "Was eure Musik mir bedeutet"),
        ),
        "discovery": _T(
            short=(
                "hab euch gerade über {platform} entdeckt und bin besessen. womit fange ich an?",
                "wie konnte ich euch bisher nicht kennen?? {song} ist unglaublich",
                "neuer Fan hier 👋 welches Album zuerst?",
                "{song} in einem Café in {home_city} gehört und sofort geshazamt. hallo!",
                "eine Freundin hat mir {song} geschickt und jetzt hab ich {album} dreimal am Stück gehört",
                "ist {album} euer erstes Album? hab euch gerade entdeckt",
                "{song} kam in meiner Entdecken-Playlist und wow",
                "über {platform} entdeckt, seid ihr bald auf Tour?",
                "wo war diese Band mein ganzes Leben lang",
            ),
            long=(
                (
                    "Ich habe eure Musik erst vor ein paar Tagen über {platform} entdeckt.",
                    "Ein Kollege hat letzte Woche {song} im Auto laufen lassen und seitdem höre ich nichts anderes.",
                ),
                (
                    "Ich habe {album} inzwischen mehrmals komplett gehört und bin süchtig.",
                    "Ich spreche kein Französisch, aber die Melodien sagen alles.",
                ),
                (
                    "Welche Platte würdet ihr als Nächstes empfehlen?",
                    "Spielt ihr bald in der Nähe von {home_city}?",
                ),
            ),
            subjects=("Neuer Fan!", "Gerade entdeckt", "Womit soll ich anfangen?"),
        ),
        "booking": _T(
            short=(
                "Hallo! Ich buche für {organisation} in {city}. Hättet ihr Lust auf einen Termin um den {date}? An wen wende ich mich?",
                "Hallo, wir würden {band} gern ins {venue} nach {city} holen. Habt ihr einen Booking-Kontakt?",
                "Hi, ich plane das Programm von {organisation} für nächsten Sommer, darf ich ein Angebot schicken? Wie lautet eure Booking-Adresse?",
                "Hallo, Veranstalter aus {city} hier: wir haben eine Option im {venue} am {date}, Interesse?",
            ),
            long=(
                (
                    "Mein Name ist {first_name}, ich kümmere mich um das Booking bei {organisation} in {city}.",
                    "Ich bin {first_name} von {organisation}; wir veranstalten Konzerte im {venue} und in weiteren Clubs in {city}.",
                ),
                (
                    "Wir würden euch gern am {date} im {venue} (Kapazität {capacity}) präsentieren. Wir bieten eine Garantie von {fee} plus 70 % der Abendkasse nach Kosten.",
                    "Wir haben eine Option am {date} im {venue}, ein Club für {capacity} Leute, der perfekt zu eurem Sound passt. Unser Angebot: {fee} Festgage, Hotel und Catering inklusive.",
                    "Wir stellen gerade das Line-up fürs nächste Jahr zusammen und würden euch gern einen {slot}-Slot am {date} anbieten, Gage {fee} all-in.",
                ),
                (
                    "Backline, Haustechniker und zwei Hotelnächte sind inklusive. Bei lokaler Presse und Radio helfen wir gern.",
                    "Der Club hat eine komplette Ton- und Lichtanlage; euren Tech-Rider und Bühnenplan bräuchten wir vier Wochen vorher.",
                ),
                (
                    "Könntet ihr mir bis zum {deadline} sagen, ob der Termin passt, oder mich an eure Agentur verweisen?",
                    "Wenn das interessant klingt, schickt uns bitte euren Tech- und Hospitality-Rider. Wir müssen bis zum {deadline} bestätigen.",
                    "Wollen wir kurz telefonieren? Ich bin unter {phone} erreichbar.",
                ),
            ),
            subjects=(
                "Booking-Anfrage: {artist} – {city}, {date}",
                "Angebot für den {date} im {venue}",
                "{organisation} x {artist}",
                "Verfügbarkeit am {date}?",
            ),
        ),
        "press": _T(
            short=(
                "Hallo! Ich schreibe für {organisation} und würde euch gern zu {album} interviewen. Wer ist der richtige Kontakt?",
                "Hallo, hier ist die Redaktion von {organisation}. Wäre ein kurzes Interview vor dem Konzert in {city} möglich? Redaktionsschluss ist der {deadline}.",
                "Hi, wir machen bei {organisation} ein Special über neue europäische Bands. Könntet ihr bis zum {deadline} fünf Fragen per Mail beantworten?",
            ),
            long=(
                (
                    "Ich bin {first_name} aus der Musikredaktion von {organisation}.",
                    "Mein Name ist {full_name}, ich schreibe für {organisation} über Musik.",
                ),
                (
                    "Wir bereiten ein Feature über {album} vor und würden gern ein 20-minütiges Interview mit {member} führen, per Telefon oder Video.",
                    "Wir würden gern das Video zu {song} bei uns premieren, zusammen mit einem kurzen Q&A.",
                    "Wir nehmen eine Live-Session-Reihe auf und würden uns freuen, wenn ihr zwei Songs spielt, darunter {song}.",
                ),
                (
                    "Unser Redaktionsschluss ist der {deadline}, idealerweise sprechen wir vorher.",
                    "Wir bräuchten hochaufgelöste Pressefotos und das Interview bis zum {deadline}.",
                ),
                (
                    "Könnt ihr mich an eure Pressestelle verweisen?",
                    "Vielen Dank vorab, ich schicke die Fragen gern vorher.",
                ),
            ),
            subjects=(
                "Interviewanfrage – {organisation}",
                "Presseanfrage von {organisation} (Deadline {deadline})",
                "{organisation} x {artist}",
            ),
        ),
        "collab": _T(
            short=(
                "Hey! Großer Fan. Ich bin {organisation} und würde gern einen Remix von {song} machen. Lust?",
                "Hallo {member}, hättest du Lust auf ein Feature auf meiner nächsten Single? Kann ein Demo schicken",
                "moin, Produzent hier, hab einen Edit von {song} gebaut, darf ich ihn schicken?",
            ),
            long=(
                (
                    "Ich bin {first_name} und mache Musik als {organisation}.",
                    "{first_name} von {organisation}, wir haben uns kurz nach eurem Konzert im {venue} getroffen.",
                ),
                (
                    "Ich arbeite an einem Remix von {song}, der im Club richtig gut funktionieren würde. Ich hätte gern euren Segen und wenn möglich die Stems.",
                    "Ich mache gerade eine EP fertig und ein Song braucht die Stimme von {member}. Langsam, viele Synths, in der Art von {other_song}.",
                ),
                (
                    "Habt ihr nächste Woche Zeit für ein Telefonat? Hier ein paar Arbeiten von mir: {website}",
                    "Kein Druck, sagt mir einfach ja, nein oder vielleicht später.",
                ),
            ),
            subjects=(
                "Kollabo-Idee: {organisation} x {artist}",
                "Hallo von {organisation}",
                "Ein Vorschlag von {organisation}",
            ),
        ),
        "label": _T(
            short=(
                "Hallo, A&R bei {organisation}. {album} hat uns begeistert. Seid ihr fürs nächste Album schon gesignt?",
                "Hallo von {organisation}! Offen für ein Gespräch über den Vertrieb eurer nächsten Veröffentlichung?",
            ),
            long=(
                (
                    "Ich bin {first_name} aus dem A&R-Team von {organisation}.",
                    "Ich arbeite bei {organisation} und verfolge {band} seit {year_past}.",
                ),
                (
                    "Wir hätten Interesse, euer nächstes Album zu veröffentlichen oder {old_album} für eine Vinyl-Neuauflage mit richtiger Kampagne zu lizenzieren.",
                    "Wir vermitteln Musik an Film und Fernsehen und {song} würde perfekt zu einer Serie passen, die wir gerade pitchen.",
                ),
                (
                    "Hättet ihr oder euer Management vor dem {deadline} Zeit für ein Gespräch?",
                    "Ich schicke euch gern unverbindlich unsere Standardkonditionen.",
                ),
            ),
            subjects=(
                "{organisation} – ein Vorschlag",
                "Hallo von {organisation}",
                "{organisation} x {artist}",
            ),
        ),
        "ticket_issue": _T(
            short=(
                "hallo, hab 2 Tickets für {city} bei {ticket_vendor} gekauft aber nie eine Mail bekommen. Bestellung {ticket_ref}, Hilfe?",
                "auf meinem Ticket fürs {venue} steht der falsche Name, könnt ihr das ändern? Ref {ticket_ref}",
                "das Konzert in {city} wurde verlegt, gelten meine Tickets noch?? ({ticket_ref})",
                "hab mein E-Ticket für den {date} verloren 😭 Bestellnummer {ticket_ref}, was kann ich tun",
                "für die Tickets in {city} wurde bei {ticket_vendor} doppelt abgebucht, an wen wende ich mich",
                "kann nicht mehr nach {city}, gibt es eine offizielle Ticketbörse? Ref {ticket_ref}",
            ),
            long=(
                (
                    "Ich habe über {ticket_vendor} zwei Tickets für euer Konzert im {venue} in {city} am {date} gekauft, Bestellnummer {ticket_ref}.",
                    "Ich schreibe wegen meiner Tickets für {city} ({date}); die Buchungsnummer ist {ticket_ref}.",
                ),
                (
                    "Ich habe weder die Bestätigungsmail noch die Tickets bekommen, und bei {ticket_vendor} steht die Bestellung immer noch auf 'in Bearbeitung'.",
                    "Der Name auf den Tickets ist falsch geschrieben und die Location kontrolliert am Einlass die Ausweise.",
                    "Mir wurde doppelt abgebucht und {ticket_vendor} verweist mich an den Veranstalter.",
                ),
                (
                    "Könnt ihr mir sagen, an wen ich mich wenden kann, damit das vor dem Konzert geklärt ist?",
                    "Ein Screenshot der Zahlung hängt an. Danke für eure Hilfe!",
                ),
            ),
            subjects=(
                "Problem mit meinen Tickets für {city}",
                "Tickets für {city} – Bestellung {ticket_ref}",
                "Hilfe zur Bestellung {ticket_ref}",
            ),
        ),
        "merch_issue": _T(
            short=(
                "hab vor 3 Wochen {merch_item} bestellt, Bestellung {order}, immer noch nichts. verloren?",
                "{merch_item} heute bekommen, aber falsche Größe 😩 Bestellung {order}",
                "meine Platte von {album} kam zerbrochen an 💔 Bestellung {order}, gibt es Ersatz?",
                "die Sendungsverfolgung für {order} bewegt sich seit 10 Tagen nicht, wisst ihr was?",
                "der Shop hat abgebucht, aber keine Bestätigung geschickt, Bestellung {order}?",
            ),
            long=(
                (
                    "Ich habe am {past_date} in eurem Shop {merch_item} und die Platte {album} bestellt, Bestellnummer {order}.",
                    "Ich schreibe wegen meiner Bestellung {order} aus eurem Onlineshop.",
                ),
                (
                    "Sie ist immer noch nicht angekommen und die Sendungsverfolgung wurde seit fast zwei Wochen nicht aktualisiert.",
                    "Das Paket kam heute, aber die Platte ist in der Mitte durchgebrochen; die Verpackung war sehr dünn.",
                    "Ich habe Größe S statt der bestellten L bekommen.",
                ),
                (
                    "Könnt ihr nachsehen, was passiert ist, und sie gegebenenfalls neu verschicken?",
                    "Ersatz oder Erstattung, wie es für euch einfacher ist.",
                ),
            ),
            subjects=(
                "Problem mit meiner Bestellung {order}",
                "Shop-Bestellung {order}",
                "Frage zur Bestellung {order}",
            ),
        ),
        "broken_link": _T(
            short=(
                "der Link in eurer Bio ist kaputt, ich bekomme nur 404",
                "der Presave-Link für {song} funktioniert nicht 🙃",
                "der Ticketlink für {city} führt auf eine Fehlerseite",
                "FYI der Link in eurem letzten Post führt ins Leere",
                "ist die Tourseite auf eurer Website down? sehe den Termin in {city} nicht",
            ),
            long=(
                (
                    "Ich wollte über den Link auf eurer Website Tickets für {city} kaufen, aber er führt auf eine Fehlerseite.",
                    "Der Presave-Link für {song} im Newsletter funktioniert nicht.",
                ),
                ("Ich bekomme jedes Mal einen 404-Fehler, am Handy und am Laptop: {link}",),
                (
                    "Wollte nur Bescheid geben, bevor zu viele Leute leer ausgehen!",
                    "Gibt es einen anderen Link?",
                ),
            ),
            subjects=(
                "Kaputter Link",
                "Ein Link auf eurer Website funktioniert nicht",
                "Link funktioniert nicht",
            ),
        ),
        "insult": _T(
            short=(
                "das neue Zeug ist langweilig, euer Höhepunkt war {old_album}",
                "{song} ist der überbewertetste Song des Jahres",
                "Ausverkauft. früher wart ihr eine echte Band",
                "{fee} für ein Ticket, um das zu hören? ernsthaft",
                "{member} trifft live keinen Ton, peinlich",
                "schlechtestes Konzert ever, das {venue} hätte Besseres verdient",
                "lol wer hört sowas freiwillig",
                "noch eine mittelmäßige Single von einer mittelmäßigen Band",
                "hört auf, um Streams zu betteln, und schreibt mal einen guten Song",
                "entfolgt, das ist Müll",
            ),
            long=(
                ("Ich war bei eurem Konzert in {city} und will mein Geld zurück.",),
                (
                    "Das war der faulste Auftritt, für den ich je bezahlt habe. Die Hälfte neue Songs, die keiner kennt, und der Sound war eine Katastrophe.",
                ),
                ("Macht es besser.",),
            ),
            subjects=("Erstattung", "Euer Konzert war ein Witz"),
        ),
        "spam": _T(
            short=(
                "🚀 Mach aus 500 € in 7 Tagen 8.000 € mit Krypto-Trading! Schreib mir per DM 💰 {spam_link}",
                "Tolle Musik! Bring sie zu 50.000 echten Hörern 🎧 Link in meiner Bio {spam_link}",
                "folgst du mir, folg ich dir 💯",
                "🔥🔥 schaut auf meinem Kanal vorbei, die besten Beats 🔥🔥 {spam_handle}",
                "Mehr Streams? Garantierte Ergebnisse 📈 {spam_link}",
                "Glückwunsch 🎉 du wurdest für unser Gewinnspiel ausgewählt! Hier einlösen {spam_link}",
                "Verdiene {amount} am Tag von zu Hause 👉 {spam_link}",
            ),
            long=(
                (
                    "Wir sind eine führende Musik-Promotion-Agentur mit über 10 Jahren Erfahrung mit unabhängigen Künstlern.",
                ),
                (
                    "Unsere Pakete starten bei 49 € und garantieren 100.000 echte Streams in 30 Tagen, plus Playlist-Platzierungen mit {percent} % Engagement.",
                ),
                (
                    "Antworte auf diese Mail und sichere dir 50 % Rabatt, nur heute gültig! {spam_link}",
                ),
            ),
            subjects=(
                "Steigere deine Streams um 500 % 🚀",
                "Playlist-Platzierung für {artist}",
                "Deine Musik verdient mehr Hörer",
            ),
        ),
    },
    openers=(
        "omg",
        "ok also",
        "ehrlich,",
        "hey {band}!",
        "hallo!!",
        "Leute,",
        "nicht gelogen,",
        "Grüße aus {home_city}!",
        "{member}!!",
        "ahh",
        "also,",
        "kurze Frage:",
        "moin!",
        "na?",
        "boah",
    ),
    closers=(
        "danke, dass es euch gibt",
        "ich liebe euch",
        "bis bald!",
        "🙏",
        "bitte 🙏",
        "LG",
        "lg",
        "kann's kaum erwarten",
        "liebe Grüße aus {home_city}",
        "das wars",
        "❤️",
        "danke danke",
        "(sorry für die Großbuchstaben)",
        "hdl",
    ),
    followups={
        "fan": (
            "und {member}, falls du das liest: hallo 👋",
            "edit: ich meinte {other_song} lol",
            "muss immer noch daran denken",
            "wer geht noch nach {city}?",
            "push, weil ich es echt wissen muss 🙏",
            "vergessen: das neue Merch ist wunderschön",
            "Update: ich hab Tickets!!! bis bald in {city}",
        ),
        "industry": (
            "Ich hake kurz wegen meiner Nachricht unten nach: seid ihr am {date} verfügbar?",
            "Hallo nochmal, wir müssten bis zum {deadline} bestätigen.",
            "Kurze Erinnerung; am Angebot können wir noch etwas drehen.",
        ),
        "support": (
            "gibt's was Neues? immer noch nichts",
            "hallo?? das Konzert ist am {date}, ich brauche wirklich eine Antwort",
            "sorry, dass ich nerve, aber ich habe immer noch nichts gehört",
            "hat sich erledigt, war im Spam-Ordner! sorry!!",
            "ist endlich angekommen!! trotzdem danke",
        ),
        "troll": ("lol keine Antwort, war klar", "immer noch schlecht"),
        "spam": ("🔥 {spam_link}",),
    },
    chime_ins=(
        "same!! 😭",
        "+1 für {city} bitte",
        "das. genau das.",
        "oh ja",
        "wollte ich auch gerade sagen",
        "literally ich",
        "sehen uns dort!!",
        "so recht mit {song}",
        "war auch da!! was für ein Abend",
    ),
    answers={
        "fan": (
            "ihr habt geantwortet!!! danke 😭",
            "DANKE, ihr habt meinen Tag gerettet",
            "{member} hat geantwortet, ich rahme das ein",
            "danke!! und spielt ihr {song} in {city}?",
            "danke! dann bis zum {date} 🙌",
        ),
        "industry": (
            "Danke für die Rückmeldung! Ich schicke euch heute die Details per Mail.",
            "Super, danke. Könnt ihr bis zum {deadline} bestätigen?",
            "Perfekt, ich leite das an meine Kollegin für die Verträge weiter.",
        ),
        "support": (
            "vielen Dank, hat sich erledigt!",
            "danke! hab euch die Daten gerade per Mail geschickt",
            "ok danke, ich schaue nach und melde mich, falls es immer noch nicht geht",
            "hab's probiert und immer noch nichts, was kann ich noch tun?",
        ),
        "troll": ("egal", "lol ok"),
        "spam": (),
    },
    greetings={
        "formal": (
            "Hallo zusammen,",
            "Liebes Team von {artist},",
            "Sehr geehrte Damen und Herren,",
            "Guten Tag,",
            "Hallo {member},",
        ),
        "casual": ("Hey ihr Lieben!", "Hi {member}!", "Grüße aus {home_city}!", "Hallo ihr!"),
    },
    signoffs={
        "formal": (
            "Viele Grüße,",
            "Beste Grüße,",
            "Mit freundlichen Grüßen,",
            "Danke vorab und viele Grüße,",
        ),
        "casual": ("Liebe Grüße,", "LG,", "Alles Liebe,", "Danke euch!"),
    },
    mobile_footers=(
        "Von meinem iPhone gesendet",
        "Gesendet von meinem Android-Smartphone",
        "Outlook für iOS beziehen",
    ),
    quote_header="Am {date} schrieb {name}:",
    reply_prefix="AW:",
    words={
        "merch_item": (
            "den Jutebeutel",
            "den blauen Hoodie",
            "das Tour-Shirt",
            "das Poster",
            "das transparente Vinyl",
            "die Cap",
            "das Pin-Set",
            "das Fanzine",
        ),
        "platform": (
            "TikTok",
            "eine Spotify-Playlist",
            "eine Radio-Session",
            "meinen Bruder",
            "eine YouTube-Empfehlung",
            "einen Filmsoundtrack",
            "ein Instagram-Reel",
            "einen Podcast",
        ),
        "when_past": ("gestern Abend", "am Samstag", "letzte Woche", "am Freitag", "neulich"),
        "role_booker": ("Booking", "Programmplanung", "Booking & Produktion"),
        "role_press": ("Musikredaktion", "Redaktion", "Podcast-Team"),
        "role_label": ("A&R", "Label-Management", "Sync & Lizenzen"),
        "slot": ("Headliner", "Hauptbühnen", "Late-Night", "Sunset"),
        "ticket_vendor": ("Eventim", "Ticketmaster", "DICE", "Reservix", "See Tickets"),
    },
    months=(
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    date_format="{day}. {month}",
    thousands=".",
    slang=(
        ("vielleicht", "vllt"),
        ("nicht", "nich"),
        ("gerade", "grad"),
        ("habe", "hab"),
        ("heute", "heut"),
        ("eine", "ne"),
        ("einen", "nen"),
        ("ist", "is"),
        ("mal", "ma"),
        ("liebe grüße", "lg"),
    ),
)
