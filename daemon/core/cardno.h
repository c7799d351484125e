/*
 * cardno.h — customer service card numbers (DOMAIN.md, "The customer
 * service card"; seed 003).
 *
 * A card (one per household) is numbered by the pinyin initial of the
 * policyholder's surname plus a sequence per initial: 王 → 'W0001',
 * 'W0002', ...; at least four digits, growing to five past 9999 ('W10000').
 * Head office assigns the numbers (card_seq holds the next one per
 * initial). A card created offline on a laptop carries a provisional
 * number until head office numbers it.
 *
 * Surname table: schema/surnames.csv, UTF-8, header `surname,initial,
 * pinyin`, one surname a row: the surname (1 to 4 Han characters,
 * simplified or traditional), its initial (A-Z) and its reading as a
 * surname in lower-case pinyin without tones (ü written v: 吕 lv). The
 * initial must be the pinyin's first letter. Surname readings that differ
 * from a character's common reading are what the table is for: 单 shan,
 * 曾 zeng, 解 xie, 仇 qiu, 区 ou, 查 zha, 朴 piao, 盖 ge, 覃 qin, 尉迟
 * yuchi, 万俟 moqi, 长孙 zhangsun, 乐 yue, 翟 zhai, 召 shao ...
 * The initial of a name is that of the longest surname in the table that
 * begins the name (so 欧阳 wins over 欧, 尉迟 over 尉). 单于 (chanyu) is left
 * out on purpose: today 单于X is far more often 单 + a given name 于X.
 * A name whose surname is not in the table (or written in Latin letters)
 * needs a manual initial.
 *
 * Provisional numbers (made offline): 'P-XXXX-NNNN' — 'P-', the device's
 * short id (four upper-case hex digits: the last four of the device's UUID,
 * which are random bits of a UUIDv7), '-', then the device's own counter,
 * zero-padded to at least four digits ('P-3F2A-0007', 'P-3F2A-12345').
 * The dashes keep them apart from head-office numbers (letter + digits),
 * even for the initial P ('P0007'). They identify a card on the laptop
 * that made it until it syncs; two devices may share a short id, so a
 * provisional number is a label, never a key (the customer id is).
 */
#ifndef FSY_CARDNO_H
#define FSY_CARDNO_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The loaded surname table (immutable once loaded; share it freely). */
typedef struct fsy_surnames fsy_surnames_t;

/* Largest surname table file accepted, and rows in it. */
#define FSY_SURNAMES_MAX_BYTES (1024 * 1024)
#define FSY_SURNAMES_MAX_ROWS 20000
/* Longest surname, in characters. */
#define FSY_SURNAME_MAX_CHARS 4

/* Kinds of card numbers (fsy_cardno_kind). */
#define FSY_CARDNO_INVALID 0
#define FSY_CARDNO_FINAL 1       /* 'W0001': head office's */
#define FSY_CARDNO_PROVISIONAL 2 /* 'P-3F2A-0007': made offline */

/*
 * Loads the surname table from path, or, when path is NULL, from
 * surnames.csv in $FSY_DATADIR, else in the build's schema directory
 * (FSY_DATADIR_BUILD), else in the installed data directory. On success
 * *out owns the table (free with fsy_surnames_free). Returns FSY_OK;
 * FSY_ENOTFOUND/FSY_EIO (no readable file); FSY_ETOOBIG; FSY_ECSV (a bad
 * row: err names the file and the row); FSY_ENOMEM.
 */
int fsy_surnames_load(const char *path, fsy_surnames_t **out, char *err,
    size_t errlen);

/* Frees a table; NULL is a no-op. */
void fsy_surnames_free(fsy_surnames_t *t);

/* Number of surnames in the table. */
int fsy_surnames_count(const fsy_surnames_t *t);

/*
 * Finds the card initial for a person's full name (surname first, leading
 * blanks ignored) and writes it to *initial ('A'..'Z'). manual, when not
 * NULL, is an initial given by hand ("W" or "w") and wins over the table.
 * *surname_len (may be NULL) receives the byte length of the matched
 * surname (0 for a manual initial). Returns FSY_OK; FSY_ESURNAME when the
 * surname is not in the table (err asks for the initial); FSY_EINVAL for a
 * manual initial that is not one letter A-Z, or a name that is empty or not
 * UTF-8.
 */
int fsy_cardno_initial(const fsy_surnames_t *t, const char *name,
    const char *manual, char *initial, size_t *surname_len, char *err,
    size_t errlen);

/*
 * Numbers the card of customer customer_id on a hub store: the next number
 * for its initial (from the customer's name, or manual_initial when not
 * NULL) taken from card_seq, skipping numbers some card already has,
 * written to customer.card_no with card_provisional = 0 (a provisional
 * number is replaced). A customer already holding a head-office number
 * keeps it (idempotent; manual_initial is then ignored). The number is
 * copied to card_no (n bytes, 16 are enough; card_no may be NULL). t may
 * be NULL: the default table is loaded for this call. One transaction (a
 * savepoint inside the caller's). Returns FSY_OK; FSY_ESTATE (not a hub);
 * FSY_ENOTFOUND (no live customer); FSY_ESURNAME / FSY_EINVAL (see
 * fsy_cardno_initial); FSY_ETOOBIG (card_no too small); or a store
 * error. On failure nothing changes and err says why.
 */
int fsy_cardno_assign(fsy_store_t *st, const fsy_surnames_t *t,
    const char *customer_id, const char *manual_initial, char *card_no,
    size_t n, char *err, size_t errlen);

/*
 * Writes the device short id of a device UUID (its last four hex digits,
 * upper case) to out. Returns FSY_OK or FSY_EINVAL (not a UUID).
 */
int fsy_cardno_device_short(const char *device_id, char out[5]);

/*
 * Formats a provisional number 'P-XXXX-NNNN' (see above) from a device
 * short id (four hex digits, either case) and the device's counter
 * (1..99999999) into out (n bytes; 16 are enough). Returns FSY_OK;
 * FSY_EINVAL (bad short id); FSY_ERANGE (counter); FSY_ETOOBIG (n).
 */
int fsy_cardno_provisional(const char *device_short, int64_t counter,
    char *out, size_t n);

/* Returns FSY_CARDNO_FINAL, FSY_CARDNO_PROVISIONAL or FSY_CARDNO_INVALID
 * for a card number's text (NULL is invalid). */
int fsy_cardno_kind(const char *card_no);

#endif /* FSY_CARDNO_H */
