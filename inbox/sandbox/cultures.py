"""Where fans come from: names, home towns, mail providers and servers by culture.

A fan is drawn from one culture, which fixes the language they write in, the
names they carry, the city they ask the band to come to, the mail provider in
their address and the currency a booker quotes fees in. The weights make the
message mix roughly 55% English, 15% French, 15% Spanish and 15% German, with
English also written by people from all over the world.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Culture:
    key: str
    lang: str
    weight: float
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    home_cities: tuple[str, ...]
    region: str  # a key of places.REGIONS: where this fan would go to a show
    mail_domains: tuple[str, ...]
    mastodon_servers: tuple[str, ...]
    currency: str  # ISO 4217
    phone: str  # a pattern; "#" is a digit. Fictional ranges where the country has them.


def _split(names: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in names.split(",") if n.strip())


_FR_MAIL = (
    "gmail.com",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "hotmail.fr",
    "outlook.fr",
    "sfr.fr",
    "proton.me",
    "icloud.com",
    "yahoo.fr",
)
_FR_MASTO = ("mastodon.social", "piaille.fr", "framapiaf.org", "mamot.fr", "eldritch.cafe")
_ES_MAIL = ("gmail.com", "hotmail.com", "yahoo.es", "outlook.es", "icloud.com", "proton.me")
_LATAM_MAIL = ("gmail.com", "hotmail.com", "outlook.com", "yahoo.com.mx", "live.com.ar")
_ES_MASTO = ("mastodon.social", "masto.es", "mastodon.world", "mastodon.uy")
_DE_MAIL = (
    "gmail.com",
    "gmx.de",
    "web.de",
    "t-online.de",
    "posteo.de",
    "mailbox.org",
    "freenet.de",
    "icloud.com",
)
_DE_MASTO = ("chaos.social", "norden.social", "mastodon.social", "troet.cafe", "det.social")
_EN_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "proton.me")
_UK_MAIL = (
    "gmail.com",
    "hotmail.co.uk",
    "btinternet.com",
    "outlook.com",
    "icloud.com",
    "yahoo.co.uk",
)
_EN_MASTO = (
    "mastodon.social",
    "mastodon.online",
    "hachyderm.io",
    "mstdn.social",
    "mastodon.world",
    "indieweb.social",
    "social.coop",
)

CULTURES: tuple[Culture, ...] = (
    Culture(
        "fr_FR",
        "fr",
        0.09,
        _split(
            "Léa, Camille, Manon, Chloé, Inès, Jade, Louise, Zoé, Emma, Clara, Lucas, Hugo, "
            "Louis, Gabriel, Arthur, Jules, Théo, Nathan, Maxime, Antoine, Mathilde, Romane, "
            "Baptiste, Quentin, Océane, Margaux, Thomas, Julien, Sébastien, Aurélie, Céline, "
            "Nicolas, Élodie, Pauline, Bastien, Gaëlle, Yannick, Solène, Loïc, Anaïs"
        ),
        _split(
            "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, "
            "Simon, Laurent, Lefebvre, Michel, Fournier, Girard, Bonnet, Dupont, Lambert, "
            "Fontaine, Rousseau, Vincent, Faure, Blanc, Guérin, Boyer, Chevalier, Marchand, "
            "Perrin, Roux, Gauthier, Caron, Mercier, Le Gall, Riviere, Lemoine"
        ),
        _split(
            "Paris, Lyon, Marseille, Lille, Nantes, Bordeaux, Toulouse, Rennes, Strasbourg, "
            "Montpellier, Grenoble, Nancy, Rouen, Clermont-Ferrand, Dijon, Angers, Brest, "
            "Tours, Caen, Annecy"
        ),
        "france",
        _FR_MAIL,
        _FR_MASTO,
        "EUR",
        "+33 6 39 98 ## ##",
    ),
    Culture(
        "fr_MAGHREB",
        "fr",
        0.025,
        _split(
            "Yasmine, Sofiane, Karim, Nadia, Mehdi, Samira, Rayan, Amine, Leïla, Walid, Nour, "
            "Yanis, Sarah, Bilal, Kenza, Ilyes, Imane, Nassim"
        ),
        _split(
            "Benali, Haddad, Bouzid, Mansouri, Belkacem, Cherif, Amrani, Brahimi, Saidi, "
            "Ziani, Bensaïd, Khelifi, Meziane, Tahiri"
        ),
        _split("Marseille, Paris, Lyon, Toulouse, Montpellier, Saint-Denis, Nice, Roubaix"),
        "france",
        _FR_MAIL,
        _FR_MASTO,
        "EUR",
        "+33 6 39 98 ## ##",
    ),
    Culture(
        "fr_WEST_AFRICA",
        "fr",
        0.015,
        _split(
            "Aminata, Moussa, Fatou, Ibrahima, Awa, Mamadou, Aïssatou, Ousmane, Mariama, "
            "Cheikh, Khadija, Seydou, Adama, Binta"
        ),
        _split("Diallo, Traoré, Diop, Ndiaye, Koné, Camara, Sow, Cissé, Keïta, Fofana, Touré"),
        _split("Paris, Montreuil, Lille, Dakar, Abidjan, Bruxelles, Lyon"),
        "francophone",
        _FR_MAIL,
        _FR_MASTO,
        "EUR",
        "+33 6 39 98 ## ##",
    ),
    Culture(
        "fr_BE_CH_QC",
        "fr",
        0.02,
        _split(
            "Félix, Émilie, Olivier, Gabrielle, Samuel, Jérémie, Marianne, Alexis, Justine, "
            "Mathieu, Maëlle, Loïc, Noémie, Cédric"
        ),
        _split(
            "Tremblay, Gagnon, Roy, Côté, Bouchard, Morin, Lavoie, Fortin, Pelletier, Peeters, "
            "Janssens, Dubois, Favre, Rochat"
        ),
        _split("Montréal, Québec, Bruxelles, Liège, Namur, Genève, Lausanne, Fribourg"),
        "francophone",
        (*_FR_MAIL[:2], "videotron.ca", "skynet.be", "bluewin.ch"),
        _FR_MASTO,
        "EUR",
        "+32 470 ## ## ##",
    ),
    Culture(
        "es_ES",
        "es",
        0.07,
        _split(
            "Lucía, Sofía, Martina, María, Paula, Daniela, Alba, Carmen, Hugo, Pablo, Álvaro, "
            "Javier, Sergio, Marcos, Alejandro, Diego, Irene, Nerea, Iker, Unai, Ainhoa, Pau, "
            "Jordi, Marta, Rocío, Adrián, Claudia, Raúl"
        ),
        _split(
            "García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, "
            "Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Álvarez, Romero, Navarro, Torres, "
            "Domínguez, Vidal, Puig, Etxeberria, Castro, Ortega, Serrano"
        ),
        _split(
            "Madrid, Barcelona, Valencia, Sevilla, Bilbao, Zaragoza, Málaga, Granada, "
            "Valladolid, Murcia, Vigo, Palma, Alicante, Santander"
        ),
        "spain",
        _ES_MAIL,
        _ES_MASTO,
        "EUR",
        "+34 600 0## ###",
    ),
    Culture(
        "es_MX",
        "es",
        0.04,
        _split(
            "Ximena, Valeria, Regina, Camila, Santiago, Mateo, Emiliano, Leonardo, Fernanda, "
            "Andrea, Diego, Alejandro, Guadalupe, Itzel, Jesús, Renata, Rodrigo"
        ),
        _split(
            "Hernández, García, Martínez, López, González, Pérez, Rodríguez, Sánchez, "
            "Ramírez, Cruz, Flores, Gómez, Morales, Vázquez, Reyes, Castañeda"
        ),
        _split("Ciudad de México, Guadalajara, Monterrey, Puebla, Querétaro, Tijuana, Mérida"),
        "latam",
        _LATAM_MAIL,
        _ES_MASTO,
        "USD",
        "+52 55 #### ####",
    ),
    Culture(
        "es_SOUTH_AMERICA",
        "es",
        0.04,
        _split(
            "Agustina, Florencia, Valentina, Tomás, Joaquín, Benjamín, Catalina, Juan Pablo, "
            "Camilo, Mariana, Sebastián, Luciana, Martín, Josefina"
        ),
        _split(
            "González, Rodríguez, Fernández, López, Gómez, Díaz, Pereyra, Romero, Sosa, "
            "Álvarez, Rojas, Muñoz, Vargas, Castro, Ospina, Restrepo"
        ),
        _split(
            "Buenos Aires, Córdoba, Rosario, Bogotá, Medellín, Santiago, Lima, Montevideo, "
            "Valparaíso"
        ),
        "latam",
        _LATAM_MAIL,
        _ES_MASTO,
        "USD",
        "+54 9 11 #### ####",
    ),
    Culture(
        "de_DE",
        "de",
        0.09,
        _split(
            "Mia, Emma, Hannah, Lena, Lea, Marie, Sophie, Anna, Laura, Julia, Lukas, Leon, "
            "Finn, Jonas, Paul, Felix, Maximilian, Niklas, Tim, Jan, Tobias, Katharina, "
            "Johanna, Moritz, Jana, Sven, Stefanie, Matthias, Annika, Frederike, Jannik, Ole"
        ),
        _split(
            "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, "
            "Hoffmann, Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, "
            "Schwarz, Zimmermann, Braun, Krüger, Hartmann, Lange, Werner, Krause, Lehmann, "
            "Köhler, Vogel, Friedrich"
        ),
        _split(
            "Berlin, Hamburg, München, Köln, Frankfurt, Leipzig, Dresden, Stuttgart, "
            "Düsseldorf, Bremen, Hannover, Nürnberg, Freiburg, Münster, Kiel, Mainz"
        ),
        "germany",
        _DE_MAIL,
        _DE_MASTO,
        "EUR",
        "+49 176 ########",
    ),
    Culture(
        "de_AT_CH",
        "de",
        0.025,
        _split(
            "Lukas, Elias, Valentina, Magdalena, Florian, Sarah, Noah, Lina, Jakob, Leonie, "
            "Reto, Seraina, Urs, Nina, Matthias, Theresa"
        ),
        _split(
            "Gruber, Huber, Bauer, Wagner, Pichler, Steiner, Moser, Mayer, Hofer, Brunner, "
            "Keller, Meier, Frei, Suter, Egger"
        ),
        _split("Wien, Graz, Linz, Salzburg, Innsbruck, Zürich, Bern, Basel, Luzern"),
        "alps",
        ("gmx.at", "gmail.com", "bluewin.ch", "aon.at", "gmx.ch"),
        _DE_MASTO,
        "EUR",
        "+43 664 ### ####",
    ),
    Culture(
        "de_TR",
        "de",
        0.02,
        _split("Elif, Emre, Can, Zeynep, Mehmet, Ayşe, Deniz, Cem, Selin, Burak, Merve, Kerem"),
        _split("Yılmaz, Kaya, Demir, Şahin, Çelik, Öztürk, Arslan, Doğan, Aydın, Kılıç"),
        _split("Berlin, Köln, Duisburg, Hamburg, Frankfurt, Stuttgart, Mannheim"),
        "germany",
        _DE_MAIL,
        _DE_MASTO,
        "EUR",
        "+49 157 ########",
    ),
    Culture(
        "de_PL",
        "de",
        0.015,
        _split("Katarzyna, Piotr, Agnieszka, Tomasz, Magda, Kamil, Ola, Marek, Zofia"),
        _split("Nowak, Kowalski, Wiśniewski, Wójcik, Kamiński, Lewandowski, Zieliński"),
        _split("Berlin, Leipzig, Dortmund, Hamburg, Hannover, Bremen"),
        "germany",
        _DE_MAIL,
        _DE_MASTO,
        "EUR",
        "+49 151 ########",
    ),
    Culture(
        "en_US",
        "en",
        0.17,
        _split(
            "Emily, Madison, Ashley, Hannah, Olivia, Ava, Abigail, Jessica, Tyler, Jacob, "
            "Ethan, Ryan, Brandon, Austin, Caleb, Dylan, Kayla, Taylor, Jordan, Morgan, "
            "Destiny, Marcus, Jamal, Aaliyah, Brianna, Kevin, Megan, Sam, Riley, Avery"
        ),
        _split(
            "Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor, "
            "Thomas, Moore, Jackson, White, Harris, Clark, Lewis, Walker, Young, Allen, King, "
            "Wright, Scott, Green, Baker, Nelson, Carter, Mitchell, Roberts, Turner, Phillips, "
            "Campbell, Parker, Evans, Collins, Stewart, Morris, Murphy, Cook, Reed, Ramirez"
        ),
        _split(
            "New York, Brooklyn, Chicago, Los Angeles, Austin, Seattle, Portland, Denver, "
            "Philadelphia, Boston, Minneapolis, Atlanta, Nashville, San Francisco, Oakland"
        ),
        "usa",
        _EN_MAIL,
        _EN_MASTO,
        "USD",
        "+1 312 555 01##",
    ),
    Culture(
        "en_UK_IE",
        "en",
        0.145,
        _split(
            "Oliver, George, Harry, Jack, Charlie, Alfie, Freddie, Amelia, Isla, Poppy, "
            "Ellie, Evie, Sophie, Jessica, Holly, Rhys, Callum, Ewan, Niamh, Siobhan, Kieran, "
            "Ciara, Aoife, Liam, Ffion, Dafydd, Rory, Imogen, Harriet, Cerys"
        ),
        _split(
            "Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Robinson, "
            "Wright, Thompson, Evans, Walker, White, Roberts, Green, Hall, Wood, Jackson, "
            "Clarke, Hughes, Edwards, Murray, MacDonald, Campbell, O'Brien, Byrne, Kelly, "
            "Walsh, Price"
        ),
        _split(
            "London, Manchester, Bristol, Leeds, Glasgow, Edinburgh, Liverpool, Birmingham, "
            "Brighton, Sheffield, Cardiff, Dublin, Belfast, Newcastle, Nottingham, Cork"
        ),
        "uk",
        _UK_MAIL,
        _EN_MASTO,
        "GBP",
        "+44 7700 900###",
    ),
    Culture(
        "en_SOUTH_ASIA",
        "en",
        0.04,
        _split(
            "Aarav, Priya, Ananya, Rohan, Arjun, Diya, Ishaan, Kavya, Vikram, Sneha, "
            "Aditya, Meera, Rahul, Pooja, Zara, Imran"
        ),
        _split(
            "Sharma, Patel, Singh, Iyer, Reddy, Nair, Gupta, Mehta, Kapoor, Rao, Menon, Das, "
            "Bose, Chatterjee, Khan, Hussain"
        ),
        _split("London, Leicester, Toronto, Mumbai, Bengaluru, Delhi, Pune, Birmingham"),
        "uk",
        _EN_MAIL,
        _EN_MASTO,
        "GBP",
        "+44 7700 900###",
    ),
    Culture(
        "en_WEST_AFRICA",
        "en",
        0.025,
        _split(
            "Chinedu, Ngozi, Tunde, Funmilayo, Emeka, Adaeze, Kwame, Ama, Kofi, Abena, "
            "Oluwaseun, Chiamaka, Tobi, Yaw"
        ),
        _split("Okafor, Adeyemi, Okonkwo, Balogun, Eze, Mensah, Owusu, Boateng, Nwosu, Adebayo"),
        _split("Lagos, Accra, London, Houston, Abuja, Manchester, Kumasi"),
        "uk",
        _EN_MAIL,
        _EN_MASTO,
        "GBP",
        "+44 7700 900###",
    ),
    Culture(
        "en_EAST_ASIA",
        "en",
        0.04,
        _split(
            "Yuki, Haruto, Sakura, Ren, Aoi, Min-jun, Ji-woo, Seo-yeon, Hyun, Wei, Mei, Jun, "
            "Xiao, Ling, Hana, Kenji, Linh, Minh"
        ),
        _split(
            "Sato, Suzuki, Takahashi, Tanaka, Watanabe, Kim, Lee, Park, Choi, Jung, Wang, Li, "
            "Zhang, Chen, Liu, Huang, Nguyen, Tran"
        ),
        _split(
            "Tokyo, Osaka, Seoul, Busan, Taipei, Singapore, Vancouver, Hong Kong, "
            "San Francisco, Melbourne"
        ),
        "asia_pacific",
        _EN_MAIL,
        _EN_MASTO,
        "USD",
        "+1 604 555 01##",
    ),
    Culture(
        "en_EUROPE",
        "en",
        0.08,
        _split(
            "Giulia, Francesco, Chiara, Matteo, Sanne, Daan, Lotte, Bram, Freya, Astrid, "
            "Mikkel, Sigrid, Ingrid, Joana, João, Beatriz, Nikos, Eleni, Lars, Elin, Oskar, "
            "Anouk, Tiago, Federica"
        ),
        _split(
            "Rossi, Russo, Ferrari, Esposito, Bianchi, De Jong, Jansen, Visser, Bakker, "
            "van Dijk, Hansen, Nielsen, Johansson, Lindqvist, Andersson, Berg, Silva, Santos, "
            "Costa, Ferreira, Papadopoulos, Nikolaidis, Virtanen, Korhonen"
        ),
        _split(
            "Amsterdam, Rotterdam, Utrecht, Milano, Roma, Bologna, Torino, Copenhagen, "
            "Stockholm, Oslo, Helsinki, Lisboa, Porto, Athens, Gothenburg, Aarhus"
        ),
        "europe",
        (*_EN_MAIL[:3], "libero.it", "ziggo.nl", "sapo.pt", "telia.com"),
        _EN_MASTO,
        "EUR",
        "+31 6 ########",
    ),
    Culture(
        "en_AU_CA",
        "en",
        0.05,
        _split(
            "Chloe, Mia, Lachlan, Cooper, Matilda, Ruby, Jackson, Liam, Owen, Grace, Aidan, "
            "Brooke, Tayla, Connor, Hamish"
        ),
        _split(
            "Smith, Brown, Wilson, Taylor, Martin, Anderson, Thompson, Nguyen, Kelly, Ryan, "
            "O'Connor, Fitzgerald, MacLeod, Campbell, Singh"
        ),
        _split(
            "Melbourne, Sydney, Brisbane, Perth, Toronto, Vancouver, Calgary, Ottawa, "
            "Auckland, Wellington, Adelaide"
        ),
        "asia_pacific",
        (*_EN_MAIL[:4], "bigpond.com", "rogers.com"),
        _EN_MASTO,
        "USD",
        "+61 491 570 ###",
    ),
)

LANGUAGES = ("en", "fr", "es", "de")
