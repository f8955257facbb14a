/* The rule words of the metadata stage, per language: honorifics and titles,
 * organization cues, speech verbs, determiners and prepositions, month and
 * weekday names, relative day words; and the news agencies and outlets that
 * articles cite. These are grammar, not data: short closed lists of the
 * words that the rules in names.c, quotes.c and dates.c look for. (Places
 * and stop words are data, generated from packages: gen_tables.py.)
 *
 * md_rules_new() builds a hash table over them (once, in the stage's init);
 * a word's entry holds its classes per language. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metadata.h"
#include "tables.h"

enum value_mode { V_NONE = 0, V_ORDINAL, V_FIXED };

struct rule_list {
        enum md_lang lang;
        uint32_t classes;
        enum value_mode mode;
        int value;
        const char *words;   /* separated by spaces; in V_ORDINAL the value is the position + 1 */
};

#define L(lang, cls, words) { MD_LANG_##lang, cls, V_NONE, 0, words }
#define ORD(lang, cls, words) { MD_LANG_##lang, cls, V_ORDINAL, 0, words }
#define FIX(lang, cls, v, words) { MD_LANG_##lang, cls, V_FIXED, v, words }
/* Relative days are stored as the offset + 8 (a positive value). */
#define REL(lang, v, words) { MD_LANG_##lang, MD_C_REL_DAY, V_FIXED, (v) + 8, words }

static const struct rule_list rule_lists[] = {
        /* English */
        L(EN, MD_C_HONORIFIC | MD_C_ABBREV, "mr mrs ms dr prof"),
        L(EN, MD_C_HONORIFIC, "miss sir dame lord lady mx"),
        L(EN, MD_C_TITLE, "president vice-president prime minister chancellor senator governor mayor general colonel "
                          "captain lieutenant sergeant admiral pope king queen prince princess judge justice reverend "
                          "bishop archbishop cardinal ambassador secretary spokesman spokeswoman spokesperson chairman "
                          "chairwoman ceo director chief commissioner inspector premier leader sheikh emir sultan "
                          "ayatollah rabbi imam professor doctor coach deputy congressman congresswoman councillor "
                          "councilor president-elect chancellor-elect senator-elect foreign interior defence defense "
                          "finance health economy opposition analyst manager economist expert lawyer attorney "
                          "reporter journalist author founder owner officer commander researcher scientist teacher "
                          "activist critic commentator pundit player striker goalkeeper midfielder trainer "
                          "executive envoy negotiator minister-president campaigner organiser organizer "
                          "representative delegate"),
        L(EN, MD_C_TITLE | MD_C_ABBREV, "sen gov gen col capt lt sgt rep rev"),
        L(EN, MD_C_ABBREV, "st jr sr mt vs etc inc ltd co corp no fig approx dept univ est"),
        L(EN, MD_C_ORG_SUFFIX, "inc corp corporation co ltd llc plc gmbh ag sa se nv bv spa oy ab asa group holding "
                               "holdings company bank party ministry agency university council commission committee "
                               "union court police army navy institute foundation association service services office "
                               "department authority organization organisation network airlines airways motors "
                               "assembly parliament senate congress club church fund trust board bureau school college "
                               "hospital league alliance movement guard command coalition corps kremlin pentagon "
                               "agency's times post journal tribune herald gazette news nations programme program "
                               "crescent cross government forces reserve united city rovers wanderers athletic fc cf "
                               "organisation's organization's"),
        L(EN, MD_C_ORG_TYPE, "company carmaker automaker firm group airline bank retailer giant maker operator "
                             "union party agency newspaper broadcaster club team insurer lender miner producer "
                             "manufacturer startup start-up conglomerate chain regulator carrier broker "
                             "supermarket supplier publisher developer exporter importer utility watchdog charity "
                             "airliner planemaker chipmaker drugmaker steelmaker"),
        L(EN, MD_C_ORG_ROLE, "spokesman spokeswoman spokesperson ceo chairman chairwoman shares shareholders "
                             "employees workers executives board subsidiary"),
        L(EN, MD_C_ORG_PREFIX, "fc ac sc afc"),
        L(EN, MD_C_AND, "and &"),
        L(EN, MD_C_ORG_HEAD, "ministry university bank department office council commission court church institute "
                             "federation union league association bureau national european united international "
                             "federal supreme central state"),
        L(EN, MD_C_SPEECH, "said says say told tells wrote writes added adds asked explained explains stated declared "
                           "tweeted posted insisted warned warns noted argued claimed replied urged announced "
                           "acknowledged admitted confirmed stressed emphasized emphasised continued concluded recalled "
                           "remarked commented responded suggested predicted complained testified"),
        L(EN, MD_C_ACCORDING, "according citing quoting quoted reported reports cited"),
        L(EN, MD_C_DETERMINER, "the a an this that these those"),
        L(EN, MD_C_LOC_PREP, "in at from to near into across outside inside towards toward via throughout around"),
        L(EN, MD_C_PLACE_TYPE, "stadium arena island province region city town village district airport river lake "
                               "mount street square"),
        L(FR, MD_C_PLACE_TYPE, "stade île province région ville village département aéroport fleuve rivière lac mont "
                               "rue place quartier"),
        L(DE, MD_C_PLACE_TYPE, "stadion insel provinz region stadt dorf flughafen fluss see"),
        L(ES, MD_C_PLACE_TYPE, "estadio isla provincia región ciudad pueblo aeropuerto río lago monte calle plaza "
                               "barrio golfo"),
        L(IT, MD_C_PLACE_TYPE, "stadio isola provincia regione città paese aeroporto fiume lago"),
        L(PT, MD_C_PLACE_TYPE, "estádio ilha província região cidade aeroporto rio lago"),
        L(RU, MD_C_PLACE_TYPE, "стадион остров область области город города поселок аэропорт река реки озеро"),
        L(EN, MD_C_THAT, "that"), L(FR, MD_C_THAT, "que qu"), L(DE, MD_C_THAT, "dass"), L(ES, MD_C_THAT, "que"),
        L(IT, MD_C_THAT, "che"), L(PT, MD_C_THAT, "que"), L(RU, MD_C_THAT, "что"),
        L(EN, MD_C_IN, "in at"), L(FR, MD_C_IN, "à en dans"), L(DE, MD_C_IN, "in im"), L(ES, MD_C_IN, "en"),
        L(IT, MD_C_IN, "in a"), L(PT, MD_C_IN, "em no na"), L(RU, MD_C_IN, "в во"), L(EL, MD_C_IN, "στην στο στη"),
        L(EN, MD_C_YEAR_PREP, "in since until by from before after during of"),
        L(EN, MD_C_PRONOUN, "he she they"),
        L(EN, MD_C_PARTICLE, "de van von der den da di du del della la le bin al ibn ben dos das ter zu"),
        L(EN, MD_C_OF, "of for"),
        L(EN, MD_C_NEXT, "next coming"),
        L(EN, MD_C_FUTURE, "will 'll shall until till plan plans expected due scheduled upcoming"),
        L(FR, MD_C_FUTURE, "jusqu prochain prochaine va vont doit doivent devrait devraient prévu prévue prévoit"),
        L(DE, MD_C_FUTURE, "wird werden bis soll sollen will wollen geplant"),
        L(ES, MD_C_FUTURE, "hasta será serán va van prevé previsto prevista antes esperan espera"),
        L(IT, MD_C_FUTURE, "fino sarà saranno"),
        L(PT, MD_C_FUTURE, "até será serão vai"),
        L(RU, MD_C_FUTURE, "будет будут планирует планируют намерен намерена собирается"),
        L(EN, MD_C_LAST, "last past previous"),
        L(EN, MD_C_AGENCY_CUE, "agency news outlet newspaper broadcaster daily channel magazine wire"),
        L(EN, MD_C_NOT_NAME, "i western eastern northern southern christmas easter valentine internet covid covid-19 "
                             "coronavirus god mp mps ceo am pm ok tv gmt utc cet"),
        ORD(EN, MD_C_MONTH, "january february march april may june july august september october november december"),
        ORD(EN, MD_C_MONTH | MD_C_ABBREV, "jan feb mar apr may jun jul aug sep oct nov dec"),
        FIX(EN, MD_C_MONTH | MD_C_ABBREV, 9, "sept"),
        ORD(EN, MD_C_WEEKDAY, "monday tuesday wednesday thursday friday saturday sunday"),
        REL(EN, 0, "today tonight"), REL(EN, -1, "yesterday"), REL(EN, 1, "tomorrow"),

        /* French */
        L(FR, MD_C_HONORIFIC | MD_C_ABBREV, "m mme mlle me dr pr"),
        L(FR, MD_C_HONORIFIC, "monsieur madame"),
        L(FR, MD_C_TITLE, "président présidente ministre premier première chancelier chancelière maire sénateur "
                          "sénatrice député députée général secrétaire porte-parole directeur directrice patron "
                          "patronne juge procureur procureure ambassadeur ambassadrice roi reine prince pape cardinal "
                          "évêque professeur docteur commissaire préfet préfète gouverneur chef dirigeant dirigeante "
                          "opposant opposante avocat avocate consultant consultante économiste analyste expert experte "
                          "coureur coureuse joueur joueuse entraîneur entraîneuse délégué déléguée prévisionniste "
                          "militant militante chercheur chercheuse responsable"),
        L(FR, MD_C_ORG_SUFFIX, "rouge"),
        L(FR, MD_C_ORG_TYPE, "groupe entreprise société constructeur syndicat compagnie opérateur club équipe "
                             "banque assureur transporteur distributeur fabricant laboratoire éditeur enseigne "
                             "géant pétrolier avionneur chimiste sidérurgiste"),
        L(FR, MD_C_ORG_PREFIX, "olympique"),
        L(FR, MD_C_AND, "et"),
        L(FR, MD_C_ORG_SUFFIX, "sa sas sarl"),
        L(FR, MD_C_ORG_HEAD, "ministère parti agence banque université conseil commission cour tribunal assemblée "
                             "sénat société fédération union syndicat confédération association institut fondation "
                             "comité office organisation groupe compagnie caisse fonds ligue"),
        L(FR, MD_C_SPEECH, "déclaré dit affirmé expliqué ajouté indiqué souligné estimé assuré précisé annoncé écrit "
                           "confié martelé insisté prévenu répondu rappelé jugé dénoncé regretté lancé tweeté raconté "
                           "déclare affirme explique ajoute indique souligne estime assure précise annonce confie "
                           "insiste prévient répond rappelle juge dénonce regrette lance raconte"),
        L(FR, MD_C_ACCORDING, "selon citant cité citée"),
        L(FR, MD_C_DETERMINER, "le la les l un une des du ce cette ces"),
        L(FR, MD_C_LOC_PREP, "à au aux en dans depuis vers près"),
        L(FR, MD_C_YEAR_PREP, "en depuis dès avant après jusqu'en ici"),
        L(FR, MD_C_PRONOUN, "il elle ils elles"),
        L(FR, MD_C_PARTICLE, "de du des la le"),
        L(FR, MD_C_OF, "de du des d pour"),
        L(FR, MD_C_NEXT, "prochain prochaine"),
        L(FR, MD_C_LAST, "dernier dernière passé passée"),
        L(FR, MD_C_AGENCY_CUE, "agence journal quotidien chaîne radio hebdomadaire"),
        ORD(FR, MD_C_MONTH, "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"),
        FIX(FR, MD_C_MONTH | MD_C_ABBREV, 1, "janv"), FIX(FR, MD_C_MONTH | MD_C_ABBREV, 2, "févr"),
        FIX(FR, MD_C_MONTH | MD_C_ABBREV, 4, "avr"), FIX(FR, MD_C_MONTH | MD_C_ABBREV, 7, "juil"),
        FIX(FR, MD_C_MONTH | MD_C_ABBREV, 9, "sept"), FIX(FR, MD_C_MONTH | MD_C_ABBREV, 10, "oct"),
        FIX(FR, MD_C_MONTH | MD_C_ABBREV, 11, "nov"), FIX(FR, MD_C_MONTH | MD_C_ABBREV, 12, "déc"),
        ORD(FR, MD_C_WEEKDAY, "lundi mardi mercredi jeudi vendredi samedi dimanche"),
        REL(FR, 0, "aujourd'hui"), REL(FR, -1, "hier"), REL(FR, 1, "demain"), REL(FR, -2, "avant-hier"),
        REL(FR, 2, "après-demain"),

        /* German */
        L(DE, MD_C_HONORIFIC, "herr frau"),
        L(DE, MD_C_HONORIFIC | MD_C_ABBREV, "dr prof hr"),
        L(DE, MD_C_TITLE, "präsident präsidentin kanzler kanzlerin bundeskanzler bundeskanzlerin minister "
                          "ministerin bürgermeister bürgermeisterin oberbürgermeister oberbürgermeisterin "
                          "ministerpräsident ministerpräsidentin sprecher sprecherin chef chefin vorsitzende "
                          "vorsitzender general papst könig königin prinz richter richterin staatsanwalt "
                          "staatsanwältin botschafter botschafterin generalsekretär abgeordnete abgeordneter senator "
                          "senatorin gouverneur direktor direktorin professor professorin landrat landrätin "
                          "experte expertin oppositionsführer kremlchef regierungschef regierungschefin "
                          "kremlkritiker oppositionspolitiker politiker politikerin jurist juristin trainer trainerin "
                          "kommentator kommentatorin virologe virologin ökonom ökonomin analyst analystin "
                          "mitglied mitarbeiter mitarbeiterin manager managerin anwalt anwältin"),
        L(DE, MD_C_ORG_SUFFIX, "kreuz"),
        L(DE, MD_C_ORG_TYPE, "konzern unternehmen gewerkschaft firma verein autobauer fluggesellschaft airline "
                             "versicherer hersteller händler discounter chiphersteller autohersteller "
                             "flugzeugbauer energieversorger mobilfunker netzbetreiber"),
        L(DE, MD_C_ORG_PREFIX, "fc vfb vfl sv tsg borussia eintracht"),
        L(DE, MD_C_AND, "und"),
        L(DE, MD_C_ORG_SUFFIX, "gmbh ag kg ev se mbh"),
        L(DE, MD_C_ORG_HEAD, "ministerium partei bank universität bundesamt landesamt"),
        L(DE, MD_C_SPEECH, "sagte sagt erklärte erklärt betonte betont schrieb schreibt meinte meint sagten teilte "
                           "fügte warnte warnt kritisierte kritisiert forderte fordert so berichtete äußerte "
                           "bekräftigte bestätigte versicherte unterstrich antwortete ergänzte erläuterte verkündete "
                           "twitterte"),
        L(DE, MD_C_ACCORDING, "laut zufolge berichtet berichtete meldet meldete"),
        L(DE, MD_C_DETERMINER, "der die das den dem des ein eine einer einem einen eines dieser diese dieses"),
        L(DE, MD_C_LOC_PREP, "in im nach aus bei am an"),
        L(DE, MD_C_YEAR_PREP, "im seit bis ab vor nach in"),
        FIX(DE, MD_C_YEAR_WORD, 0, "jahr jahre jahres"),
        L(DE, MD_C_PRONOUN, "er sie"),
        L(DE, MD_C_PARTICLE, "von der van zu"),
        L(DE, MD_C_OF, "für der des von"),
        L(DE, MD_C_NEXT, "nächsten nächste kommenden kommende"),
        L(DE, MD_C_LAST, "letzten letzte vergangenen vergangene vorigen"),
        L(DE, MD_C_AGENCY_CUE, "nachrichtenagentur agentur zeitung sender magazin"),
        ORD(DE, MD_C_MONTH, "januar februar märz april mai juni juli august september oktober november dezember"),
        FIX(DE, MD_C_MONTH, 1, "jänner"), FIX(DE, MD_C_MONTH | MD_C_ABBREV, 1, "jan"),
        FIX(DE, MD_C_MONTH | MD_C_ABBREV, 2, "feb"), FIX(DE, MD_C_MONTH | MD_C_ABBREV, 8, "aug"),
        FIX(DE, MD_C_MONTH | MD_C_ABBREV, 9, "sept"), FIX(DE, MD_C_MONTH | MD_C_ABBREV, 10, "okt"),
        FIX(DE, MD_C_MONTH | MD_C_ABBREV, 11, "nov"), FIX(DE, MD_C_MONTH | MD_C_ABBREV, 12, "dez"),
        ORD(DE, MD_C_WEEKDAY, "montag dienstag mittwoch donnerstag freitag samstag sonntag"),
        FIX(DE, MD_C_WEEKDAY, 6, "sonnabend"),
        REL(DE, 0, "heute"), REL(DE, -1, "gestern"), REL(DE, 1, "morgen"), REL(DE, -2, "vorgestern"),
        REL(DE, 2, "übermorgen"),
        L(DE, MD_C_ABBREV, "bzw nr str ing dipl"),
        L(DE, MD_C_NOT_NAME, "millionen milliarden euro dollar prozent franken pfund"),

        /* Spanish */
        L(ES, MD_C_HONORIFIC | MD_C_ABBREV, "sr sra srta dr dra"),
        L(ES, MD_C_HONORIFIC, "don doña señor señora"),
        L(ES, MD_C_TITLE, "presidente presidenta ministro ministra alcalde alcaldesa jefe jefa portavoz secretario "
                          "secretaria director directora general rey reina príncipe papa juez jueza fiscal senador "
                          "senadora diputado diputada gobernador gobernadora embajador embajadora consejero consejera "
                          "líder canciller delegado delegada comisario comisaria economista analista experto experta "
                          "entrenador entrenadora capitán capitana paleontóloga paleontólogo investigador "
                          "investigadora científico científica vecina vecino"),
        L(ES, MD_C_ORG_SUFFIX, "roja civil"),
        L(ES, MD_C_ORG_TYPE, "empresa compañía grupo sindicato petrolera club equipo aseguradora aerolínea "
                             "constructora fabricante operadora eléctrica distribuidora farmacéutica "
                             "automovilística tecnológica cadena minera textil"),
        L(ES, MD_C_ORG_PREFIX, "real atlético fc cf"),
        L(ES, MD_C_AND, "y"),
        L(ES, MD_C_ORG_SUFFIX, "sa sl"),
        L(ES, MD_C_ORG_HEAD, "ministerio partido agencia banco universidad consejo comisión tribunal congreso senado "
                             "sociedad federación unión sindicato asociación instituto fundación comité grupo compañía "
                             "guardia policía ayuntamiento junta gobierno generalitat audiencia fondo "
                             "confederación"),
        L(ES, MD_C_SPEECH, "dijo dice explicó explica afirmó afirma declaró declara aseguró asegura señaló señala "
                           "añadió añade indicó indica advirtió advierte subrayó subraya destacó destaca manifestó "
                           "comentó apuntó insistió reconoció sostuvo escribió anunció recordó lamentó denunció agregó "
                           "expresó contó relató narró admitió respondió confirmó confirma"),
        L(ES, MD_C_ACCORDING, "según informó informa"),
        L(ES, MD_C_DETERMINER, "el la los las un una unos unas este esta estos estas"),
        L(ES, MD_C_LOC_PREP, "en desde hacia hasta a por"),
        L(ES, MD_C_YEAR_PREP, "en desde hasta de"),
        L(ES, MD_C_PRONOUN, "él ella"),
        L(ES, MD_C_PARTICLE, "de del la y"),
        L(ES, MD_C_OF, "de del para"),
        L(ES, MD_C_NEXT, "próximo próxima"),
        L(ES, MD_C_LAST, "pasado pasada"),
        L(ES, MD_C_AGENCY_CUE, "agencia diario periódico cadena emisora"),
        ORD(ES, MD_C_MONTH, "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"),
        FIX(ES, MD_C_MONTH, 9, "setiembre"),
        ORD(ES, MD_C_WEEKDAY, "lunes martes miércoles jueves viernes sábado domingo"),
        REL(ES, 0, "hoy"), REL(ES, -1, "ayer anoche"), REL(ES, 1, "mañana"), REL(ES, -2, "anteayer"),

        /* Italian */
        L(IT, MD_C_TITLE, "presidente ministro ministra sindaco premier segretario portavoce direttore direttrice"),
        L(IT, MD_C_HONORIFIC, "signor signora dott"),
        L(IT, MD_C_SPEECH, "detto dichiarato spiegato affermato aggiunto sottolineato dice spiega afferma scritto"),
        L(IT, MD_C_ACCORDING, "secondo"),
        L(IT, MD_C_DETERMINER, "il lo la i gli le un una"),
        L(IT, MD_C_LOC_PREP, "a in da"),
        L(IT, MD_C_PRONOUN, "lui lei"),
        L(IT, MD_C_OF, "di del della dei delle per"),
        L(IT, MD_C_AGENCY_CUE, "agenzia quotidiano"),
        ORD(IT, MD_C_MONTH, "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
                            "dicembre"),
        ORD(IT, MD_C_WEEKDAY, "lunedì martedì mercoledì giovedì venerdì sabato domenica"),
        REL(IT, 0, "oggi"), REL(IT, -1, "ieri"), REL(IT, 1, "domani"),

        /* Portuguese */
        L(PT, MD_C_TITLE, "presidente ministro ministra prefeito governador porta-voz"),
        L(PT, MD_C_SPEECH, "disse afirmou declarou explicou acrescentou sublinhou referiu escreveu"),
        L(PT, MD_C_ACCORDING, "segundo"),
        L(PT, MD_C_DETERMINER, "o a os as um uma"),
        L(PT, MD_C_LOC_PREP, "em no na para"),
        L(PT, MD_C_PRONOUN, "ele ela"),
        L(PT, MD_C_OF, "de do da dos das para"),
        L(PT, MD_C_AGENCY_CUE, "agência jornal"),
        ORD(PT, MD_C_MONTH, "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro"),
        ORD(PT, MD_C_WEEKDAY, "segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado domingo"),
        REL(PT, 0, "hoje"), REL(PT, -1, "ontem"), REL(PT, 1, "amanhã"),

        /* Russian: the inflected forms that news text uses */
        L(RU, MD_C_HONORIFIC, "г-н г-жа господин госпожа"),
        L(RU, MD_C_TITLE, "президент президента президентом президенту премьер премьер-министр премьер-министра "
                          "министр министра министром мэр мэра мэром губернатор губернатора глава главы главой "
                          "генерал председатель председателя спикер представитель представителя директор "
                          "директора секретарь секретаря пресс-секретарь пресс-секретаря посол посла судья депутат "
                          "депутата лидер лидера канцлер канцлера патриарх король политик политика оппозиционер "
                          "оппозиционера соратник соратника соратница сенатор прокурор генпрокурор синоптик эксперт "
                          "аналитик критик жительница житель руководитель представительница вице-президент "
                          "вице-президента вице-премьер вице-премьера гендиректор гендиректора заместитель "
                          "заместителя замминистра глава"),
        L(RU, MD_C_ORG_TYPE, "компания компании концерн концерна холдинг профсоюз авиакомпания авиакомпании "
                             "банк банка корпорация корпорации госкорпорация госкорпорации производитель "
                             "оператор ритейлер автоконцерн автопроизводитель"),
        L(RU, MD_C_ORG_HEAD, "министерство министерства партия партии агентство агентства банк банка университет "
                             "совет совета комиссия служба службы суд суда полиция правительство правительства "
                             "госдума госдумы компания компании фонд фонда академия академии институт "
                             "института университета"),
        L(RU, MD_C_SPEECH, "заявил заявила заявили сказал сказала сказали сообщил сообщила сообщили отметил "
                           "отметила подчеркнул подчеркнула написал написала добавил добавила пояснил пояснила "
                           "признал признала считает заявляет говорит уточнил уточнила рассказал рассказала"),
        L(RU, MD_C_ACCORDING, "словам данным передает передаёт сообщает пишет сообщило сообщили"),
        L(RU, MD_C_DETERMINER, "этот эта это эти"),
        L(RU, MD_C_LOC_PREP, "в во из на под у около"),
        L(RU, MD_C_YEAR_PREP, "в с до к"),
        FIX(RU, MD_C_YEAR_WORD, 0, "год года году годом г"),
        L(RU, MD_C_PRONOUN, "он она они"),
        L(RU, MD_C_NEXT, "следующий следующей следующую следующем"),
        L(RU, MD_C_LAST, "прошлый прошлой прошлую прошлом"),
        L(RU, MD_C_AGENCY_CUE, "агентство агентства агентству издание газета телеканал"),
        ORD(RU, MD_C_MONTH, "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"),
        ORD(RU, MD_C_MONTH, "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь"),
        ORD(RU, MD_C_MONTH, "январе феврале марте апреле мае июне июле августе сентябре октябре ноябре декабре"),
        ORD(RU, MD_C_WEEKDAY, "понедельник вторник среда четверг пятница суббота воскресенье"),
        FIX(RU, MD_C_WEEKDAY, 3, "среду"), FIX(RU, MD_C_WEEKDAY, 5, "пятницу"), FIX(RU, MD_C_WEEKDAY, 6, "субботу"),
        REL(RU, 0, "сегодня"), REL(RU, -1, "вчера"), REL(RU, 1, "завтра"), REL(RU, -2, "позавчера"),
        REL(RU, 2, "послезавтра"),

        /* Greek */
        L(EL, MD_C_TITLE, "πρόεδρος υπουργός πρωθυπουργός δήμαρχος σεισμολόγος εκπρόσωπος"),
        L(EL, MD_C_SPEECH, "δήλωσε είπε ανέφερε τόνισε σημείωσε έγραψε πρόσθεσε"),
        L(EL, MD_C_ACCORDING, "σύμφωνα"),
        L(EL, MD_C_DETERMINER, "ο η το οι τα του της των τον την"),
        L(EL, MD_C_LOC_PREP, "στην στο στη στον στα σε από"),
        L(EL, MD_C_PRONOUN, "αυτός αυτή"),
        ORD(EL, MD_C_MONTH, "ιανουαρίου φεβρουαρίου μαρτίου απριλίου μαΐου ιουνίου ιουλίου αυγούστου σεπτεμβρίου "
                            "οκτωβρίου νοεμβρίου δεκεμβρίου"),
        ORD(EL, MD_C_WEEKDAY, "δευτέρα τρίτη τετάρτη πέμπτη παρασκευή σάββατο κυριακή"),
        FIX(EL, MD_C_WEEKDAY, 6, "σαββάτου"), FIX(EL, MD_C_WEEKDAY, 7, "κυριακής"),
        REL(EL, 0, "σήμερα"), REL(EL, -1, "χθες"), REL(EL, 1, "αύριο"),

        /* Finnish: also the leftovers of machine translation from it ("Presidentti Vladimir") */
        L(FI, MD_C_TITLE, "presidentti pääministeri ministeri"),
        L(FI, MD_C_SPEECH, "sanoi kertoi totesi kirjoitti"),
        L(FI, MD_C_ACCORDING, "mukaan"),
};

/* News agencies and outlets: the canonical name, then aliases, '|' apart. */
static const char *const agencies[] = {
        "Reuters",
        "AFP|Agence France-Presse|France-Presse|France Presse",
        "Associated Press|AP",
        "dpa|Deutsche Presse-Agentur|Deutschen Presse-Agentur|DPA",
        "EFE|Agencia EFE",
        "ANSA",
        "TASS|ТАСС|ИТАР-ТАСС|ITAR-TASS",
        "RIA Novosti|РИА Новости|RIA",
        "Interfax|Интерфакс",
        "Xinhua",
        "Kyodo",
        "Yonhap",
        "Bloomberg",
        "APA",
        "STT",
        "Europa Press",
        "Anadolu|Anadolu Agency",
        "PAP",
        "ČTK|CTK",
        "Belga",
        "ANP",
        "NTB",
        "Ritzau",
        "Lusa",
        "ANA-MPA|Αθηναϊκό Πρακτορείο Ειδήσεων|Athens News Agency",
        "Ukrinform",
        "UNIAN",
        "BBC",
        "CNN",
        "The New York Times|New York Times",
        "The Washington Post|Washington Post",
        "The Guardian|Guardian",
        "Financial Times",
        "The Wall Street Journal|Wall Street Journal",
        "Le Monde",
        "Le Figaro",
        "Libération",
        "Der Spiegel|Spiegel",
        "Süddeutsche Zeitung",
        "Frankfurter Allgemeine Zeitung|FAZ",
        "Bild",
        "El País",
        "El Mundo",
        "La Vanguardia",
        "Kommersant|Коммерсант|Коммерсантъ",
        "Vedomosti|Ведомости",
        "Izvestia|Известия",
        "RBC|РБК",
        "Meduza|Медуза",
        "Novaya Gazeta|Новая газета",
        "Al Jazeera",
        "Politico",
        "Axios",
        "Deutsche Welle|DW",
        "ARD",
        "ZDF",
        "France 24",
        "RFI",
        "RTVE",
        "La Repubblica",
        "Corriere della Sera",
        "Yle",
        "Helsingin Sanomat",
        "Sky News",
        "NPR",
        "Fox News",
        "ABC News",
        "NBC News",
        "CBS News",
        /* more national outlets, by country (none whose name is also a
         * common word: "Welt", "Sport", "Público" would be found everywhere) */
        "USA Today", "Los Angeles Times", "The Atlantic", "The Economist|Economist", "The Times", "The Telegraph|Telegraph",
        "The Independent", "Daily Mail", "The Irish Times|Irish Times", "Times of India", "The Hindu", "South China Morning Post",
        "Sydney Morning Herald", "CBC", "Nikkei", "Haaretz", "Times of Israel",
        "Le Parisien", "Les Echos", "L'Équipe|L'Equipe|L’Équipe", "Ouest-France", "Le Point", "L'Express|L’Express",
        "Mediapart", "Franceinfo|France Info", "France Inter", "BFMTV", "TF1", "France Télévisions", "Le Soir", "RTBF",
        "Le Temps", "RTS", "La Presse", "Radio-Canada", "Jeune Afrique",
        "Die Zeit", "Die Welt", "Handelsblatt", "taz", "Der Tagesspiegel|Tagesspiegel", "Der Stern", "Focus Online",
        "Tagesschau", "n-tv", "RTL", "Deutschlandfunk", "Der Standard", "Die Presse", "ORF", "Neue Zürcher Zeitung|NZZ",
        "Tages-Anzeiger", "SRF",
        "ABC", "El Confidencial", "Cadena SER", "COPE", "Onda Cero", "Marca", "Diario AS",
        "Mundo Deportivo", "El Periódico", "Clarín", "La Nación", "El Tiempo",
        "El Universal", "Milenio", "El Comercio", "El Mercurio", "Televisa",
        "La Stampa", "Il Sole 24 Ore", "Il Messaggero", "RAI", "Sky TG24", "La Gazzetta dello Sport|Gazzetta dello Sport",
        "Folha de S.Paulo|Folha", "O Globo", "Estadão|O Estado de S. Paulo", "RTP",
        "Sport-Express|Спорт-Экспресс", "Fontanka|Фонтанка",
        "Rossiyskaya Gazeta|Российская газета", "Moskovsky Komsomolets|Московский комсомолец", "Komsomolskaya Pravda|Комсомольская правда",
        "Channel One|Первый канал", "Rossiya 24|Россия 24", "NTV|НТВ", "Dozhd|Дождь", "Ekho Moskvy|Эхо Москвы",
        "Kathimerini|Καθημερινή", "ERT|ΕΡΤ",
};

/* A word: rule classes (for rule words) and the languages it is a stop
 * word in. Stop words point into the generated pool; rule words own a copy. */
struct rule_slot {
        uint64_t hash;
        const char *word;
        uint32_t len;
        bool owned;
        uint64_t stop;
        struct md_rule *rule;
};

struct agency_slot {
        uint64_t hash;
        char *alias;
        size_t len;
        const char *canonical;
};

struct md_rules {
        struct rule_slot *slots;
        size_t mask;
        struct agency_slot *agencies;
        size_t agency_mask;
};

static uint64_t hash_of(const char *s, size_t len) {
        return md_rules_hash(s, len);
}

/* The slot of word w, a new one when it has none. `copy`: w is not
 * static, keep a copy. Returns NULL when out of memory. */
static struct rule_slot *rule_slot(struct md_rules *r, const char *w, size_t len, bool copy) {
        uint64_t h = hash_of(w, len);
        size_t i = h & r->mask;
        while (r->slots[i].hash) {
                if (r->slots[i].hash == h && r->slots[i].len == len && memcmp(r->slots[i].word, w, len) == 0)
                        return &r->slots[i];
                i = (i + 1) & r->mask;
        }
        char *c = copy ? strndup(w, len) : NULL;
        if (copy && !c)
                return NULL;
        r->slots[i] = (struct rule_slot){ .hash = h, .word = c ? c : w, .len = (uint32_t)len, .owned = copy };
        return &r->slots[i];
}

struct md_rules *md_rules_new(void) {
        struct md_rules *r = calloc(1, sizeof(*r));
        if (!r)
                return NULL;
        size_t words = 0;
        for (size_t i = 0; i < sizeof(rule_lists) / sizeof(rule_lists[0]); i++)
                for (const char *p = rule_lists[i].words; *p; p++)
                        words += *p == ' ';
        words += sizeof(rule_lists) / sizeof(rule_lists[0]);
        /* the stop words of every language (generated tables) share the table */
        size_t n_stop = md_stop_slot_mask + 1;
        for (size_t i = 0; i <= md_stop_slot_mask; i++)
                n_stop -= md_stop_slots[i] == 0;
        words += n_stop;
        words += 4 * sizeof(agencies) / sizeof(agencies[0]);   /* the first words of their names */
        size_t size = 64;
        while (size < words * 2)
                size *= 2;
        r->slots = calloc(size, sizeof(*r->slots));
        r->mask = size - 1;
        size_t asize = 64;
        while (asize < 4 * sizeof(agencies) / sizeof(agencies[0]) * 2)
                asize *= 2;
        r->agencies = calloc(asize, sizeof(*r->agencies));
        r->agency_mask = asize - 1;
        if (!r->slots || !r->agencies)
                goto fail;

        for (size_t i = 0; i < sizeof(rule_lists) / sizeof(rule_lists[0]); i++) {
                const struct rule_list *l = &rule_lists[i];
                int pos = 0;
                for (const char *p = l->words; *p;) {
                        const char *e = strchr(p, ' ');
                        size_t len = e ? (size_t)(e - p) : strlen(p);
                        struct rule_slot *s = rule_slot(r, p, len, true);
                        if (s && !s->rule)
                                s->rule = calloc(1, sizeof(*s->rule));
                        if (!s || !s->rule)
                                goto fail;
                        s->rule->classes[l->lang] |= l->classes;
                        s->rule->classes[MD_LANG_OTHER] |= l->classes;
                        pos++;
                        if (l->mode == V_ORDINAL)
                                s->rule->value = (int16_t)pos;
                        else if (l->mode == V_FIXED)
                                s->rule->value = (int16_t)l->value;
                        p += len + (e ? 1 : 0);
                }
        }

        uint64_t bit = 0;
        char bit_lang[2] = { 0, 0 };
        for (size_t i = 0; i <= md_stop_slot_mask; i++) {
                if (!md_stop_slots[i])
                        continue;
                const char *k = md_pool + md_stop_offs[md_stop_slots[i] - 1];   /* "lang\x1fword" */
                if (k[0] != bit_lang[0] || k[1] != bit_lang[1]) {
                        bit = md_rules_stop_bit(r, k);
                        bit_lang[0] = k[0];
                        bit_lang[1] = k[1];
                }
                struct rule_slot *s = bit ? rule_slot(r, k + 3, strlen(k + 3), false) : NULL;
                if (bit && !s)
                        goto fail;
                if (s)
                        s->stop |= bit;
        }

        for (size_t i = 0; i < sizeof(agencies) / sizeof(agencies[0]); i++) {
                const char *canonical_end = strchr(agencies[i], '|');
                size_t clen = canonical_end ? (size_t)(canonical_end - agencies[i]) : strlen(agencies[i]);
                char *canonical = strndup(agencies[i], clen);
                if (!canonical)
                        goto fail;
                bool owner = true;   /* the first slot owns the canonical string */
                for (const char *p = agencies[i]; *p;) {
                        const char *e = strchr(p, '|');
                        size_t len = e ? (size_t)(e - p) : strlen(p);
                        char low[256];
                        size_t ll = len < sizeof(low) / 2 ? md_lower(p, len, low) : 0;
                        uint64_t h = hash_of(low, ll);
                        size_t k = h & r->agency_mask;
                        while (r->agencies[k].hash)
                                k = (k + 1) & r->agency_mask;
                        r->agencies[k].hash = h;
                        r->agencies[k].alias = owner ? canonical : NULL;
                        r->agencies[k].len = ll;
                        r->agencies[k].canonical = canonical;
                        owner = false;
                        /* its first word (as the tokenizer ends words: at ASCII other
                         * than letters, digits and hyphens) marks where a name may
                         * start, so most words are never looked up */
                        size_t fw = 0;
                        while (fw < ll && ((unsigned char)low[fw] >= 0x80 || low[fw] == '-' ||
                                           (low[fw] >= 'a' && low[fw] <= 'z') || (low[fw] >= '0' && low[fw] <= '9')))
                                fw++;
                        struct rule_slot *s = fw ? rule_slot(r, low, fw, true) : NULL;
                        if (s && !s->rule)
                                s->rule = calloc(1, sizeof(*s->rule));
                        if (fw && (!s || !s->rule))
                                goto fail;
                        if (s)
                                s->rule->classes[MD_LANG_OTHER] |= MD_C_AGENCY_START;
                        p += len + (e ? 1 : 0);
                }
        }
        return r;
fail:
        md_rules_free(r);
        return NULL;
}

void md_rules_free(struct md_rules *r) {
        if (!r)
                return;
        if (r->slots)
                for (size_t i = 0; i <= r->mask; i++) {
                        if (r->slots[i].owned)
                                free((char *)r->slots[i].word);
                        free(r->slots[i].rule);
                }
        if (r->agencies)
                for (size_t i = 0; i <= r->agency_mask; i++)
                        free(r->agencies[i].alias);
        free(r->slots);
        free(r->agencies);
        free(r);
}

const struct md_rule *md_rules_lookup(const struct md_rules *r, const char *lower, size_t len, uint64_t *ret_stop) {
        return md_rules_lookup_hashed(r, lower, len, hash_of(lower, len), ret_stop);
}

const struct md_rule *md_rules_lookup_hashed(const struct md_rules *r, const char *lower, size_t len, uint64_t h,
                                             uint64_t *ret_stop) {
        for (size_t i = h & r->mask; r->slots[i].hash; i = (i + 1) & r->mask) {
                if (r->slots[i].hash == h && r->slots[i].len == len && memcmp(r->slots[i].word, lower, len) == 0) {
                        *ret_stop = r->slots[i].stop;
                        return r->slots[i].rule;
                }
        }
        *ret_stop = 0;
        return NULL;
}

const struct md_rule *md_rules_find(const struct md_rules *r, const char *lower, size_t len) {
        uint64_t stop;
        return md_rules_lookup(r, lower, len, &stop);
}

/* Agency aliases are compared by hash and length only: 64 bits over a few
 * dozen aliases. */
const char *md_rules_agency(const struct md_rules *r, const char *lower, size_t len) {
        uint64_t h = hash_of(lower, len);
        for (size_t i = h & r->agency_mask; r->agencies[i].hash; i = (i + 1) & r->agency_mask)
                if (r->agencies[i].hash == h && r->agencies[i].len == len)
                        return r->agencies[i].canonical;
        return NULL;
}

uint64_t md_rules_stop_bit(const struct md_rules *r, const char *code) {
        (void)r;
        if (!code || !code[0] || !code[1])
                return 0;
        for (uint32_t i = 0; i < md_stop_n_langs && i < 64; i++)
                if (md_stop_langs[i][0] == code[0] && md_stop_langs[i][1] == code[1])
                        return 1ull << i;
        return 0;
}

bool md_rules_is_stop(const struct md_rules *r, uint64_t bit, const char *lower, size_t len) {
        uint64_t stop = 0;
        if (bit)
                md_rules_lookup(r, lower, len, &stop);
        return (stop & bit) != 0;
}

enum md_lang md_lang_from_code(const char *code) {
        static const struct {
                const char *code;
                enum md_lang lang;
        } map[] = {
                { "en", MD_LANG_EN }, { "fr", MD_LANG_FR }, { "de", MD_LANG_DE }, { "es", MD_LANG_ES },
                { "it", MD_LANG_IT }, { "pt", MD_LANG_PT }, { "ru", MD_LANG_RU }, { "el", MD_LANG_EL },
                { "fi", MD_LANG_FI },
        };
        if (!code)
                return MD_LANG_OTHER;
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (strcmp(map[i].code, code) == 0)
                        return map[i].lang;
        return MD_LANG_OTHER;
}
