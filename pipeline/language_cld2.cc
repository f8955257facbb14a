/* language_cld2.cc: the C interface to CLD2 (language_cld2.h). The only C++
 * in ingestd; no exception leaves this file. */
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>   /* before CLD2's header, which uses FILE without including it */
#include <cstring>
#include <new>
#include <string>

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include "language_cld2.h"

namespace {

/* CLD2 codes that are not the ISO 639 code of the language. */
struct code_alias {
        const char *cld2;
        const char *iso;
};
const code_alias code_aliases[] = {
        { "iw", "he" },         /* Hebrew: the withdrawn ISO 639 code */
        { "jw", "jv" },         /* Javanese: likewise */
        { "no", "nb" },         /* CLD2's NORWEGIAN is Bokmål; it has NORWEGIAN_N (nn) apart */
        { "zh-Hant", "zh" },    /* Chinese in traditional characters */
        { "sr-ME", "cnr" },     /* Montenegrin: ISO 639-3 */
};

/* CLD2 names (upper case, underscores) that do not title-case into the
 * language's usual English name. */
struct name_override {
        const char *cld2;
        const char *name;
};
const name_override name_overrides[] = {
        { "NORWEGIAN", "Norwegian Bokmål" },
        { "NORWEGIAN_N", "Norwegian Nynorsk" },
        { "ChineseT", "Chinese" },
        { "LAOTHIAN", "Lao" },
        { "SINHALESE", "Sinhala" },
        { "RHAETO_ROMANCE", "Romansh" },
        { "SCOTS_GAELIC", "Scottish Gaelic" },
        { "LUO_KENYA_AND_TANZANIA", "Luo" },
        { "WARAY_PHILIPPINES", "Waray" },
        { "SISWANT", "Swati" },
        { "UIGHUR", "Uyghur" },
        { "TONGA", "Tongan" },
        { "INUPIAK", "Inupiaq" },
        { "PAMPANGA", "Kapampangan" },
        { "PEDI", "Northern Sotho" },
        { "SESOTHO", "Southern Sotho" },
        { "SESELWA", "Seychellois Creole" },
        { "LUBA_LULUA", "Luba-Lulua" },
};

/* Code and English name of every CLD2 language that names a language (not
 * a script, "unknown" or one of its joke languages), built once. */
class language_table {
public:
        language_table() {
                for (int i = 0; i < CLD2::NUM_LANGUAGES; i++) {
                        CLD2::Language l = static_cast<CLD2::Language>(i);
                        const char *code = CLD2::LanguageCode(l);
                        const char *name = CLD2::LanguageName(l);
                        if (l == CLD2::UNKNOWN_LANGUAGE || l == CLD2::TG_UNKNOWN_LANGUAGE || !code || !name ||
                            !*code || strncmp(code, "xx-", 3) == 0 || strncmp(name, "X_", 2) == 0)
                                continue;
                        codes_[i] = iso_code(code);
                        names_[i] = english_name(name);
                }
                /* Every CLD2 code that maps to the same code of ours. */
                for (int i = 0; i < CLD2::NUM_LANGUAGES; i++)
                        for (int j = 0; j < CLD2::NUM_LANGUAGES && !codes_[i].empty(); j++)
                                if (codes_[j] == codes_[i]) {
                                        if (!hints_[i].empty())
                                                hints_[i] += ',';
                                        hints_[i] += CLD2::LanguageCode(static_cast<CLD2::Language>(j));
                                }
        }

        /* NULL when `l` is not a language. */
        const char *code(CLD2::Language l) const {
                return valid(l) && !codes_[l].empty() ? codes_[l].c_str() : nullptr;
        }
        const char *name(CLD2::Language l) const {
                return valid(l) && !names_[l].empty() ? names_[l].c_str() : nullptr;
        }
        /* The CLD2 codes to boost for a hint of `l`: "zh,zh-Hant" for
         * Chinese, as both are our zh. */
        const char *hint(CLD2::Language l) const {
                return valid(l) && !hints_[l].empty() ? hints_[l].c_str() : nullptr;
        }
        /* The language whose English name is `s`, ignoring case. */
        CLD2::Language by_name(const char *s) const {
                for (int i = 0; i < CLD2::NUM_LANGUAGES; i++)
                        if (!names_[i].empty() && strcasecmp(names_[i].c_str(), s) == 0)
                                return static_cast<CLD2::Language>(i);
                return CLD2::UNKNOWN_LANGUAGE;
        }

private:
        static bool valid(CLD2::Language l) {
                return l >= 0 && l < CLD2::NUM_LANGUAGES;
        }
        static std::string iso_code(const char *cld2) {
                for (const code_alias &a : code_aliases)
                        if (strcmp(a.cld2, cld2) == 0)
                                return a.iso;
                return cld2;
        }
        static std::string english_name(const char *cld2) {
                for (const name_override &o : name_overrides)
                        if (strcmp(o.cld2, cld2) == 0)
                                return o.name;
                std::string s(cld2);
                bool word_start = true;
                for (char &c : s) {
                        if (c == '_') {
                                c = ' ';
                                word_start = true;
                        } else {
                                c = static_cast<char>(word_start ? toupper((unsigned char)c) : tolower((unsigned char)c));
                                word_start = false;
                        }
                }
                return s;
        }

        std::string codes_[CLD2::NUM_LANGUAGES];
        std::string names_[CLD2::NUM_LANGUAGES];
        std::string hints_[CLD2::NUM_LANGUAGES];
};

const language_table &table() {
        static const language_table t;  /* initialised once, thread-safely */
        return t;
}

/* The CLD2 language for a code, BCP 47 tag or English name. */
CLD2::Language language_from_hint(const char *hint) {
        /* Tags are short; anything longer is not a language name either. */
        char tag[48];
        size_t n = 0;
        while (*hint == ' ')
                hint++;
        for (; *hint && n < sizeof(tag) - 1; hint++)
                tag[n++] = *hint == '_' ? '-' : static_cast<char>(tolower((unsigned char)*hint));
        if (*hint)
                return CLD2::UNKNOWN_LANGUAGE;
        while (n > 0 && tag[n - 1] == ' ')
                n--;
        tag[n] = '\0';
        if (n == 0)
                return CLD2::UNKNOWN_LANGUAGE;

        /* Our codes where CLD2's differ ("he" for "iw"); the subtag after the
         * language ("-BR") stays. */
        std::string cld2_tag(tag);
        size_t sep = cld2_tag.find('-');
        std::string primary = cld2_tag.substr(0, sep);
        for (const code_alias &a : code_aliases)
                if (primary == a.iso && strchr(a.cld2, '-') == nullptr) {
                        cld2_tag.replace(0, primary.size(), a.cld2);
                        break;
                }
        if (primary == "cnr")
                return CLD2::MONTENEGRIN;
        CLD2::Language l = CLD2::GetLanguageFromName(cld2_tag.c_str());
        if (l == CLD2::UNKNOWN_LANGUAGE)
                l = table().by_name(tag);
        return table().code(l) ? l : CLD2::UNKNOWN_LANGUAGE;
}

int detect(const char *text, size_t len, const char *hint, bool best_effort, struct language_cld2_result *ret) {
        if (len > INT_MAX)
                return -EINVAL;
        const language_table &t = table();
        /* The hint goes in as a Content-Language value rather than as
         * CLD2's language_hint: on the benchmark set it helps as much when
         * right and harms less when wrong. */
        CLD2::CLDHints hints = { hint ? t.hint(language_from_hint(hint)) : nullptr, nullptr, CLD2::UNKNOWN_ENCODING,
                                 CLD2::UNKNOWN_LANGUAGE };
        CLD2::Language lang3[3];
        int percent3[3];
        double score3[3];
        int text_bytes = 0, valid_bytes = 0;
        bool reliable = false;
        CLD2::ExtDetectLanguageSummaryCheckUTF8(text, static_cast<int>(len), true, &hints, 0, lang3, percent3, score3,
                                                nullptr, &text_bytes, &reliable, &valid_bytes);
        if (static_cast<size_t>(valid_bytes) < len)
                return -EINVAL;

        /* Without the best-effort flag, CLD2 leaves text it cannot tell
         * apart undetermined, and its reliability flag means something; with
         * it, it calls nearly every guess reliable. So the flag is used only
         * for a second look at what the first left undetermined. */
        bool guessed = false;
        if (!t.code(lang3[0]) && best_effort && text_bytes > 0) {
                CLD2::ExtDetectLanguageSummaryCheckUTF8(text, static_cast<int>(len), true, &hints,
                                                        CLD2::kCLDFlagBestEffort, lang3, percent3, score3, nullptr,
                                                        &text_bytes, &reliable, &valid_bytes);
                guessed = true;
                reliable = false;
        }

        /* lang3[0] has the largest share. (CLD2's return value may instead
         * name a smaller non-English part when English is the majority, a
         * rule made for web pages with English menus: for an English article
         * with a long quotation it would name the quotation's language.) */
        ret->n = 0;
        ret->reliable = false;
        ret->best_effort = false;
        if (!t.code(lang3[0]))
                return 0;
        for (int i = 0; i < 3; i++) {
                const char *code = t.code(lang3[i]);
                if (!code || percent3[i] <= 0)
                        continue;
                /* Two CLD2 languages may share our code (zh and zh-Hant). */
                bool merged = false;
                for (size_t j = 0; j < ret->n; j++)
                        if (strcmp(ret->languages[j].code, code) == 0) {
                                ret->languages[j].percent += percent3[i];
                                merged = true;
                        }
                if (merged)
                        continue;
                ret->languages[ret->n].code = code;
                ret->languages[ret->n].name = t.name(lang3[i]);
                ret->languages[ret->n].percent = percent3[i];
                ret->n++;
        }
        ret->reliable = reliable && ret->n > 0;
        ret->best_effort = guessed && ret->n > 0;
        return 0;
}

}  // namespace

extern "C" int language_cld2_detect(const char *text, size_t len, const char *hint, bool best_effort,
                                    struct language_cld2_result *ret) {
        try {
                return detect(text, len, hint, best_effort, ret);
        } catch (const std::bad_alloc &) {
                return -ENOMEM;
        } catch (...) {
                return -EIO;
        }
}

extern "C" const char *language_cld2_canonical_code(const char *code_or_name) {
        try {
                return code_or_name ? table().code(language_from_hint(code_or_name)) : nullptr;
        } catch (...) {
                return nullptr;
        }
}

extern "C" const char *language_cld2_version(void) {
        return CLD2::DetectLanguageVersion();
}
