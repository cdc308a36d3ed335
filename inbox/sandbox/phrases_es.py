"""Español: lo que fans, programadores, periodistas, trolls y bots le escriben a la banda."""

from __future__ import annotations

from inbox.sandbox.phrasebook import Phrasebook, Topic

_T = Topic

PHRASEBOOK = Phrasebook(
    lang="es",
    topics={
        "praise_song": _T(
            short=(
                "llevo toda la semana con {song} en bucle y no puedo parar",
                "el puente de {song} me destroza cada vez",
                "{song} es lo mejor que habéis escrito y no acepto discusión",
                "escuché {song} por primera vez en el coche y tuve que parar en el arcén",
                "¿podemos hablar del bajo de {song}? {member} eres un genio",
                "{song} a las 2 de la mañana con cascos es otra cosa",
                "{album} sigue sonando nuevo, sobre todo {song}",
                "llorando con {song} en el metro, un martes cualquiera",
                "a quien mezcló {song}: gracias. ¡¡esa batería!!",
                "cómo canta {member} el último estribillo de {song}… escalofríos",
                "mi móvil dice que escuché {song} {count} veces hoy. socorro",
                "por fin convencí a mi novio con {band}. fue {song}",
                "{song} y luego {other_song} seguidas es una experiencia religiosa",
                "el final de {song} debería durar el doble, es mi única queja",
                "{album} es un disco perfecto, ni una canción para saltar",
                "tercera escucha y {song} ya no sale de mi cabeza",
                "los sintes del minuto {timestamp} de {song}. eso es todo",
            ),
            long=(
                (
                    "No suelo escribir a grupos, pero tenía que contaros lo que significa {song} para mí.",
                    "Llevo semanas queriendo escribiros: {album} ha sido la banda sonora de mi otoño.",
                ),
                (
                    "La primera vez que la escuché volvía a casa andando bajo la lluvia en {home_city} y me paré a escucharla tres veces seguidas.",
                    "Hay algo en la voz de {member} en el último estribillo que no sé explicar. Es como si alguien pusiera por fin palabras a lo que siento desde hace años.",
                    "La he escuchado {count} veces y sigo descubriendo detalles en el arreglo, sobre todo las cuerdas del final.",
                ),
                (
                    "Gracias por hacer música tan honesta.",
                    "Por favor, no dejéis nunca de hacer discos así.",
                ),
            ),
            subjects=(
                "{song} 💙",
                "Gracias por {album}",
                "Una nota de agradecimiento",
                "Desde {home_city} con cariño",
            ),
        ),
        "praise_show": _T(
            short=(
                "todavía no me he recuperado de {venue} {when_past}. el mejor concierto de mi vida",
                "lo de {city} fue increíble, {member} estabas on fire",
                "¡¡ese bis en {venue}!! cuando tocasteis {song} en acústico me morí",
                "es la {count}ª vez que os veo en directo y cada vez mejor",
                "el sonido en {venue} fue perfecto, gracias por venir a {city}",
                "toda la sala cantando el estribillo de {song} en {city}. piel de gallina",
                "todavía me pitan los oídos de {venue}. valió la pena",
                "{member} tirándose al público en {venue}, recuerdo para toda la vida",
                "gracias por firmarme el vinilo después del concierto de {city}, me habéis hecho el año",
                "primera vez que veía a {band} en directo {when_past} y guau",
                "la canción nueva que tocasteis en {city}, ¿cuándo sale??",
                "primera fila en {venue}, me he quedado sin voz",
                "cuatro horas de viaje hasta {city} por vosotros y lo volvería a hacer mañana",
                "las luces durante {song} en {venue}!!! quién diseñó eso",
            ),
            long=(
                (
                    "Estuve en vuestro concierto en {venue} ({city}) {when_past} y sigo en una nube.",
                    "Viajé desde {home_city} para veros en {other_city} y quería daros las gracias.",
                ),
                (
                    "Cuando empezasteis {song} la sala se quedó en silencio y luego todo el mundo cantó el estribillo. Nunca había vivido algo así.",
                    "Las canciones nuevas suenan aún mejor en directo, y lo que dijo {member} antes de {other_song} hizo llorar a media sala (y yo también lloré).",
                    "Era la {count}ª vez que os veía y sinceramente la mejor. El sonido fue perfecto y se os veía felices.",
                ),
                ("¡Volved pronto!", "Ya tengo entradas para la próxima."),
            ),
            subjects=(
                "Vuestro concierto en {city}",
                "¡Gracias, {city}!",
                "El mejor concierto del año",
            ),
        ),
        "tour_question": _T(
            short=(
                "¿cuándo salen las entradas para {city}?",
                "¿vais a venir a {home_city} este año?? porfa porfa",
                "¿el concierto del {date} en {city} es para todas las edades?",
                "¿habrá preventa para {city}? mis amigas y yo estamos desesperadas",
                "{city} agotado en 4 minutos 😭 ¿hay segunda fecha?",
                "¿a qué hora abren puertas en {venue}?",
                "¿habrá merch en los conciertos o solo online?",
                "¿cuándo anunciáis el resto de la gira?",
                "¿vais a tocar {song} en esta gira? lo pregunto por mi salud mental",
                "¿{venue} es de pie o sentados?",
                "¿quién os telonea en {city}?",
                "¿alguna fecha en {home_city}? aquí nunca viene nadie",
                "¿cuánto dura el concierto? tengo que pillar el último tren después de {venue}",
                "¿hay lista de espera para {city}? se agotó antes de cobrar 😩",
                "¿hacéis festivales este verano? me encantaría veros cerca de {home_city}",
                "las entradas de {city} en {ticket_vendor}, ¿son las oficiales?",
            ),
            long=(
                (
                    "Soy muy fan desde {home_city} y tengo una pregunta sobre la gira.",
                    "Perdonad que os escriba por correo, no encontré la respuesta en la web.",
                ),
                (
                    "¿Habrá alguna fecha cerca de {home_city}? El concierto más cercano es en {other_city} y no puedo ir entre semana.",
                    "¿La sala de {city} ({date}) es accesible en silla de ruedas? A mi hermano le encantaría venir conmigo.",
                    "¿Las entradas para {city} saldrán en varias tandas? La primera se agotó en minutos.",
                ),
                ("¡Muchas gracias y nos vemos en la gira!", "¡Gracias por leerme!"),
            ),
            subjects=(
                "Pregunta sobre el concierto de {city}",
                "Una pregunta sobre la gira",
                "¿Fechas cerca de {home_city}?",
            ),
        ),
        "request": _T(
            short=(
                "sacad una versión en directo de {song} porfa",
                "¿reedición en vinilo de {album} cuándo?? lleva agotado siglos",
                "¿podéis tocar {other_song} en {city}? me haría muchísima ilusión",
                "{song} necesita un videoclip de verdad",
                "¿podéis subir los acordes de {song}? estoy intentando sacarla con la guitarra",
                "¿{merch_item} en tallas más grandes?",
                "una sesión acústica de {song} 🙏",
                "¡¡volved a meter {other_song} en el setlist!!",
                "{member} haz un tutorial del riff de {song}",
                "letra traducida de {song} por favor, mi francés no da para tanto 😅",
                "¿podéis pasar el setlist de {city}? quiero hacer una playlist",
                "¿hay alguna copia firmada de {album}? es para el cumple de mi hermana",
            ),
            long=(
                (
                    "Tengo una pequeña petición, espero que no moleste.",
                    "Os sigo desde {year_past} y tengo un deseo.",
                ),
                (
                    "¿Podríais volver a editar {old_album} en vinilo? Es imposible encontrarlo de segunda mano a un precio normal.",
                    "Mi mejor amiga cumple años el {date} y adora {song}; un vídeo cortito de {member} la haría llorar (de alegría).",
                    "¿Podríais publicar la letra de {song} traducida? A muchos nos encantaría entenderla bien.",
                ),
                ("En cualquier caso, gracias por todo.", "¡No pasa nada si no es posible!"),
            ),
            subjects=(
                "Una pequeña petición",
                "Una petición desde {home_city}",
                "Una pregunta y un deseo",
            ),
        ),
        "personal": _T(
            short=(
                "{song} me ayudó a superar el peor año de mi vida. gracias de verdad",
                "mi hija de dos años baila {song} todas las mañanas. tenéis una fan nueva",
                "bailamos {song} en nuestra boda {when_past} 💍",
                "conocí a mi mejor amiga en la cola de vuestro concierto en {city} en {year_past}",
                "hoy me he tatuado una frase de {song}. cero arrepentimiento",
                "trabajo de noche en un hospital y {album} me ayuda a aguantar a las 4 de la mañana",
                "estudiando para los finales con {song} en bucle, deseadme suerte",
                "mi padre y yo no coincidimos en nada salvo en {band}",
                "fan desde {year_past}, nunca pensé que llegaríais tan lejos. qué orgullo",
                "perdí a mi madre en primavera. {song} era su canción favorita. gracias por escribirla",
                "mi grupo versionó {song} en nuestro primer concierto, espero que no os importe 😅",
            ),
            long=(
                (
                    "Es un mensaje algo personal, podéis saltároslo.",
                    "Hace mucho que quería escribiros.",
                ),
                (
                    "El año pasado fue el más duro de mi vida y {album} era lo único que podía escuchar. {song} me acompañó en las peores noches.",
                    "Mi pareja y yo nos conocimos en vuestro concierto en {venue} en {year_past}. Nos casamos este verano y entraremos con {song}.",
                    "Trabajo de noche en un hospital de {home_city} y vuestros discos me acompañan en el camino de vuelta.",
                ),
                (
                    "Así que, de corazón: gracias.",
                    "Solo quería que supierais que vuestra música importa.",
                ),
            ),
            subjects=("Gracias", "Lo que vuestra música significa para mí"),
        ),
        "discovery": _T(
            short=(
                "os acabo de descubrir por {platform} y no puedo parar de escucharos. ¿por dónde empiezo?",
                "¿cómo no os conocía antes?? {song} es increíble",
                "fan nuevo por aquí 👋 ¿qué disco escucho primero?",
                "escuché {song} en un café de {home_city} y tuve que shazamearla. ¡hola!",
                "una amiga me pasó {song} y ya he escuchado {album} tres veces seguidas",
                "¿{album} es vuestro primer disco? os acabo de descubrir",
                "{song} me salió en la playlist de descubrimientos y guau",
                "os descubrí por {platform}, ¿venís de gira pronto?",
                "dónde estaba esta banda toda mi vida",
            ),
            long=(
                (
                    "Descubrí vuestra música hace unos días gracias a {platform}.",
                    "Un compañero puso {song} en el coche la semana pasada y no he parado desde entonces.",
                ),
                (
                    "Ya he escuchado {album} entero varias veces y no puedo parar.",
                    "No hablo francés pero las melodías lo dicen todo.",
                ),
                (
                    "¿Qué disco me recomendáis después?",
                    "¿Vais a tocar cerca de {home_city} pronto?",
                ),
            ),
            subjects=("¡Nueva fan!", "Os acabo de descubrir", "¿Por dónde empiezo?"),
        ),
        "booking": _T(
            short=(
                "¡Hola! Programo en {organisation} ({city}). ¿Os interesaría una fecha hacia el {date}? ¿Con quién hablo?",
                "Hola, nos encantaría tener a {band} en {venue} ({city}). ¿Tenéis contacto de booking?",
                "Hola, estoy cerrando el cartel de {organisation} para el verano, ¿puedo enviaros una oferta? ¿Cuál es vuestro correo de contratación?",
                "Hola, promotor de {city}: tenemos {venue} reservada el {date}, ¿os interesa?",
            ),
            long=(
                (
                    "Me llamo {first_name} y soy {role_booker} en {organisation}, en {city}.",
                    "Soy {first_name}, de {organisation}; organizamos conciertos en {venue} y otras salas de {city}.",
                ),
                (
                    "Nos encantaría programaros el {date} en {venue} (aforo {capacity}). Podemos ofrecer un caché garantizado de {fee} más el 70 % de taquilla tras gastos.",
                    "Tenemos una fecha reservada el {date} en {venue}, una sala de {capacity} personas perfecta para vuestro sonido. Ofrecemos {fee} de caché, hotel y catering incluidos.",
                    "Estamos cerrando el cartel del año que viene y queremos ofreceros un hueco de {slot} el {date}, con un caché de {fee} todo incluido.",
                ),
                (
                    "Incluimos backline, técnico de sala y dos noches de hotel. También podemos ayudar con prensa y radio locales.",
                    "La sala tiene equipo completo de luces y sonido; necesitaríamos vuestro rider técnico y el plano de escenario con cuatro semanas de antelación.",
                ),
                (
                    "¿Podríais confirmarme antes del {deadline} si os encaja la fecha, o ponerme en contacto con vuestra agencia?",
                    "Si os interesa, enviadnos el rider técnico y de hospitality. Tenemos que confirmar antes del {deadline}.",
                    "¿Lo hablamos por teléfono? Mi número es {phone}.",
                ),
            ),
            subjects=(
                "Propuesta de fecha: {artist} – {city}, {date}",
                "Oferta para el {date} en {venue}",
                "{organisation} x {artist}",
                "Disponibilidad {date}",
            ),
        ),
        "press": _T(
            short=(
                "¡Hola! Escribo para {organisation} y me encantaría entrevistaros por {album}. ¿Con quién hablo?",
                "Hola, periodista de {organisation}. ¿Una entrevista rápida antes del concierto de {city}? Cerramos el {deadline}.",
                "Hola, preparamos un especial sobre nuevas bandas europeas en {organisation}. ¿Podríais responder cinco preguntas por correo antes del {deadline}?",
            ),
            long=(
                (
                    "Soy {first_name}, {role_press} en {organisation}.",
                    "Me llamo {full_name} y escribo sobre música para {organisation}.",
                ),
                (
                    "Preparamos un reportaje sobre {album} y nos encantaría una entrevista de 20 minutos con {member}, por teléfono o videollamada.",
                    "Nos gustaría estrenar el videoclip de {song} en nuestra web con una pequeña entrevista.",
                    "Estamos grabando una serie de sesiones en directo y nos encantaría que tocarais dos canciones, entre ellas {song}.",
                ),
                (
                    "Nuestra fecha de cierre es el {deadline}, así que lo ideal sería hablar antes.",
                    "Necesitaríamos fotos de prensa en alta resolución y la entrevista antes del {deadline}.",
                ),
                (
                    "¿Podríais ponerme en contacto con vuestra jefa de prensa?",
                    "Gracias de antemano, puedo enviar las preguntas con antelación.",
                ),
            ),
            subjects=(
                "Solicitud de entrevista – {organisation}",
                "Prensa: {organisation} (cierre {deadline})",
                "{organisation} x {artist}",
            ),
        ),
        "collab": _T(
            short=(
                "¡Hola! Muy fan. Soy {organisation} y me encantaría hacer un remix de {song}. ¿Os animáis?",
                "Hola {member}, ¿te apetecería colaborar en mi próximo single? Te paso una maqueta",
                "buenas, productor aquí, hice un edit de {song}, ¿os lo mando?",
            ),
            long=(
                (
                    "Soy {first_name}, hago música como {organisation}.",
                    "{first_name}, de {organisation}; coincidimos después de vuestro concierto en {venue}.",
                ),
                (
                    "Estoy trabajando en un remix de {song} que creo que funcionaría muy bien en clubs. Me encantaría tener vuestro permiso y, si es posible, las pistas.",
                    "Estoy terminando un EP y hay una canción que necesita la voz de {member}. Es lenta, muy de sintes, en la línea de {other_song}.",
                ),
                (
                    "¿Os viene bien una llamada la semana que viene? Aquí tenéis parte de mi trabajo: {website}",
                    "Sin ninguna presión, decidme si es un sí, un no o un quizá más adelante.",
                ),
            ),
            subjects=(
                "Idea de colaboración: {organisation} x {artist}",
                "Hola desde {organisation}",
                "Una propuesta de {organisation}",
            ),
        ),
        "label": _T(
            short=(
                "Hola, A&R de {organisation}. Nos encantó {album}. ¿Tenéis sello para el próximo disco?",
                "¡Hola desde {organisation}! ¿Hablamos de distribución para vuestro próximo lanzamiento?",
            ),
            long=(
                (
                    "Soy {first_name}, {role_label} en {organisation}.",
                    "Trabajo en {organisation} y os sigo desde {year_past}.",
                ),
                (
                    "Nos interesaría publicar vuestro próximo disco, o licenciar {old_album} para una reedición en vinilo con una buena campaña.",
                    "Trabajamos sincronizaciones para cine y series y creemos que {song} encajaría perfectamente en una serie que estamos proponiendo.",
                ),
                (
                    "¿Podríais tener una llamada con nosotros antes del {deadline}?",
                    "Os puedo enviar nuestras condiciones estándar sin compromiso.",
                ),
            ),
            subjects=(
                "{organisation} – una propuesta",
                "Hola desde {organisation}",
                "{organisation} x {artist}",
            ),
        ),
        "ticket_issue": _T(
            short=(
                "hola, compré 2 entradas para {city} en {ticket_vendor} pero nunca me llegó el correo. pedido {ticket_ref}, ¿ayuda?",
                "mi entrada para {venue} sale con el nombre mal, ¿se puede cambiar? ref {ticket_ref}",
                "han cambiado la fecha de {city}, ¿siguen valiendo mis entradas?? ({ticket_ref})",
                "perdí mi entrada electrónica para el {date} 😭 tengo el número de pedido {ticket_ref}, ¿qué hago?",
                "me cobraron dos veces las entradas de {city} en {ticket_vendor}, ¿con quién hablo?",
                "ya no puedo ir a {city}, ¿hay reventa oficial? ref {ticket_ref}",
            ),
            long=(
                (
                    "Compré dos entradas para vuestro concierto en {venue} ({city}) el {date} a través de {ticket_vendor}, pedido {ticket_ref}.",
                    "Os escribo por mis entradas para {city} ({date}); la referencia de la reserva es {ticket_ref}.",
                ),
                (
                    "Nunca recibí el correo de confirmación ni las entradas, y la web de {ticket_vendor} dice que el pedido sigue en proceso.",
                    "El nombre de las entradas está mal escrito y la sala dice que piden DNI en la puerta.",
                    "Me han cobrado dos veces y {ticket_vendor} me remite al organizador.",
                ),
                (
                    "¿Me podéis decir con quién contactar para solucionarlo antes del concierto?",
                    "Adjunto captura del pago. ¡Gracias por la ayuda!",
                ),
            ),
            subjects=(
                "Problema con mis entradas para {city}",
                "Entradas para {city} – pedido {ticket_ref}",
                "Ayuda con el pedido {ticket_ref}",
            ),
        ),
        "merch_issue": _T(
            short=(
                "pedí {merch_item} hace 3 semanas, pedido {order}, y nada. ¿se ha perdido?",
                "me llegó {merch_item} pero de otra talla 😩 pedido {order}",
                "mi vinilo de {album} llegó roto 💔 pedido {order}, ¿me lo podéis cambiar?",
                "el seguimiento de {order} no se mueve desde hace 10 días, ¿sabéis algo?",
                "la tienda me cobró pero no me llegó confirmación, ¿pedido {order}?",
            ),
            long=(
                (
                    "Pedí {merch_item} y el vinilo de {album} en vuestra tienda el {past_date}, pedido {order}.",
                    "Os escribo por mi pedido {order} de la tienda online.",
                ),
                (
                    "Todavía no ha llegado y el seguimiento no se actualiza desde hace casi dos semanas.",
                    "El paquete llegó hoy pero el vinilo está partido por la mitad; el embalaje era muy fino.",
                    "Recibí una talla S en lugar de la L que pedí.",
                ),
                (
                    "¿Podéis revisarlo y decirme si es posible reenviarlo?",
                    "Me vale un cambio o un reembolso, lo que os resulte más fácil.",
                ),
            ),
            subjects=(
                "Problema con mi pedido {order}",
                "Pedido {order} de la tienda",
                "Consulta sobre el pedido {order}",
            ),
        ),
        "broken_link": _T(
            short=(
                "el enlace de la bio está roto, me sale un 404",
                "el enlace de presave de {song} no funciona 🙃",
                "el enlace de entradas para {city} lleva a una página de error",
                "para que lo sepáis, el enlace del último post no va a ningún sitio",
                "¿la web de la gira está caída? no veo la fecha de {city}",
            ),
            long=(
                (
                    "Intenté comprar entradas para {city} desde el enlace de vuestra web, pero lleva a una página de error.",
                    "El enlace de presave de {song} de la newsletter no funciona.",
                ),
                ("Me sale un error 404 cada vez, en el móvil y en el portátil: {link}",),
                ("¡Os aviso antes de que mucha gente se quede sin entrada!", "¿Hay otro enlace?"),
            ),
            subjects=(
                "Enlace roto",
                "Un enlace de vuestra web no funciona",
                "El enlace no funciona",
            ),
        ),
        "insult": _T(
            short=(
                "lo nuevo es aburridísimo, tocasteis techo con {old_album}",
                "{song} es la canción más sobrevalorada del año",
                "vendidos. antes erais una banda de verdad",
                "¿{fee} la entrada para escuchar esto? venga ya",
                "{member} desafina en directo, da vergüenza ajena",
                "el peor concierto de mi vida, {venue} merecía algo mejor",
                "jajaja quién escucha esto de verdad",
                "otro single mediocre de una banda mediocre",
                "dejad de mendigar streams y escribid una canción decente",
                "dejo de seguiros, esto es basura",
            ),
            long=(
                ("Fui a vuestro concierto en {city} y quiero que me devuelvan el dinero.",),
                (
                    "Fue la actuación más floja que he pagado nunca. Medio concierto de canciones nuevas que nadie conoce y un sonido horrible.",
                ),
                ("Mejorad.",),
            ),
            subjects=("Reembolso", "Vuestro concierto fue una vergüenza"),
        ),
        "spam": _T(
            short=(
                "🚀 ¡Convierte 500 € en 8.000 € en 7 días con cripto! Escríbeme por privado 💰 {spam_link}",
                "¡Buena música! Llévala a 50.000 oyentes reales 🎧 mira mi bio {spam_link}",
                "¿te sigo y me sigues? 💯",
                "🔥🔥 pasaos por mi canal, los mejores beats 🔥🔥 {spam_handle}",
                "¿Quieres más reproducciones? Resultados garantizados 📈 {spam_link}",
                "¡Enhorabuena 🎉 has sido seleccionado en nuestro sorteo! Reclama aquí {spam_link}",
                "Gana {amount} al día desde casa 👉 {spam_link}",
            ),
            long=(
                (
                    "Somos una agencia líder de promoción musical con más de 10 años ayudando a artistas independientes.",
                ),
                (
                    "Nuestros paquetes empiezan en 49 € y garantizan 100.000 reproducciones reales en 30 días, con playlists de un {percent} % de engagement.",
                ),
                (
                    "¡Responde a este correo para conseguir un 50 % de descuento, solo hoy! {spam_link}",
                ),
            ),
            subjects=(
                "Multiplica tus reproducciones 🚀",
                "Playlists para {artist}",
                "Tu música merece más oyentes",
            ),
        ),
    },
    openers=(
        "dios",
        "a ver,",
        "en serio,",
        "¡hola {band}!",
        "holaa",
        "chicos,",
        "bueno,",
        "guau",
        "¡saludos desde {home_city}!",
        "¡¡{member}!!",
        "ayyy",
        "oye,",
        "una pregunta:",
        "madre mía,",
    ),
    closers=(
        "gracias por existir",
        "os quiero",
        "¡nos vemos pronto!",
        "🙏",
        "porfa 🙏",
        "besos",
        "un abrazo",
        "qué ganas",
        "besos desde {home_city}",
        "y ya está",
        "❤️",
        "gracias gracias",
        "(perdón por las mayúsculas)",
        "abrazos",
    ),
    followups={
        "fan": (
            "y {member} si lees esto: hola 👋",
            "edit: quería decir {other_song} jajaja",
            "sigo pensando en esto",
            "¿alguien más va a {city}?",
            "lo subo otra vez porque necesito saberlo 🙏",
            "se me olvidó: el merch nuevo es precioso",
            "actualización: ¡¡tengo entradas!! nos vemos en {city}",
        ),
        "industry": (
            "Os escribo de nuevo por mi mensaje anterior: ¿estáis disponibles el {date}?",
            "Hola de nuevo, retomo esto. Tenemos que confirmar antes del {deadline}.",
            "Un pequeño recordatorio; podemos ajustar la oferta.",
        ),
        "support": (
            "¿alguna novedad? sigo sin nada",
            "¿¿hola?? el concierto es el {date}, necesito una respuesta",
            "perdonad que insista pero sigo sin noticias",
            "nada, estaba en spam. ¡perdón!",
            "¡¡por fin llegó!! gracias igualmente",
        ),
        "troll": ("jajaja ni contestáis", "sigue siendo malo"),
        "spam": ("🔥 {spam_link}",),
    },
    chime_ins=(
        "¡¡igual!! 😭",
        "+1 para {city} porfa",
        "esto. exactamente esto.",
        "sííí",
        "venía a decir esto",
        "literalmente yo",
        "¡¡nos vemos allí!!",
        "toda la razón con {song}",
        "¡¡yo también estuve!! qué noche",
    ),
    answers={
        "fan": (
            "¡¡¡habéis contestado!!! gracias 😭",
            "GRACIAS, me habéis alegrado el día",
            "me ha contestado {member}, lo enmarco",
            "¡¡gracias!! ¿y vais a tocar {song} en {city}?",
            "¡gracias! nos vemos el {date} entonces 🙌",
        ),
        "industry": (
            "¡Gracias por responder! Os envío los detalles por correo hoy.",
            "Perfecto, gracias. ¿Podéis confirmar antes del {deadline}?",
            "Genial, se lo paso a mi compañera que lleva los contratos.",
        ),
        "support": (
            "¡muchísimas gracias, ya está solucionado!",
            "¡gracias! os acabo de mandar los datos por correo",
            "vale, gracias, lo miro y os digo si sigue sin funcionar",
            "lo he probado y nada, ¿qué más puedo hacer?",
        ),
        "troll": ("me da igual", "jaja vale"),
        "spam": (),
    },
    greetings={
        "formal": (
            "Hola:",
            "Hola, equipo de {artist}:",
            "Estimados:",
            "Buenos días,",
            "Hola, {member}:",
        ),
        "casual": ("¡Hola, chicos!", "¡Hola, {member}!", "¡Saludos desde {home_city}!", "Holaa,"),
    },
    signoffs={
        "formal": ("Un saludo,", "Saludos cordiales,", "Atentamente,", "Gracias de antemano,"),
        "casual": ("Besos,", "Un abrazo,", "¡Gracias!", "Abrazos,"),
    },
    mobile_footers=(
        "Enviado desde mi iPhone",
        "Enviado desde mi móvil Android",
        "Obtener Outlook para iOS",
    ),
    quote_header="El {date}, {name} escribió:",
    reply_prefix="RE:",
    words={
        "merch_item": (
            "la tote bag",
            "la sudadera azul",
            "la camiseta de la gira",
            "el póster",
            "el vinilo transparente",
            "la gorra",
            "el pack de chapas",
            "el fanzine",
        ),
        "platform": (
            "TikTok",
            "una playlist de Spotify",
            "una sesión de radio",
            "mi hermano",
            "una recomendación de YouTube",
            "una peli",
            "un reel de Instagram",
            "un podcast",
        ),
        "when_past": ("anoche", "el sábado", "la semana pasada", "el viernes", "la otra noche"),
        "role_booker": (
            "responsable de programación",
            "responsable de booking",
            "parte del equipo de programación",
        ),
        "role_press": (
            "periodista",
            "responsable de la sección de música",
            "parte del equipo de radio",
        ),
        "role_label": ("A&R", "responsable de A&R", "responsable de sincronizaciones"),
        "slot": ("cabeza de cartel", "escenario principal", "madrugada", "atardecer"),
        "ticket_vendor": ("Ticketmaster", "Entradas.com", "DICE", "Eventbrite", "Ticketek"),
    },
    months=(
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
    date_format="{day} de {month}",
    thousands=".",
    slang=(
        ("que", "q"),
        ("por favor", "porfa"),
        ("también", "tb"),
        ("porque", "xq"),
        ("por qué", "xq"),
        ("de verdad", "dvd"),
        ("besos", "bss"),
        ("te quiero", "tq"),
        ("para", "pa"),
        ("nada", "na"),
    ),
)
