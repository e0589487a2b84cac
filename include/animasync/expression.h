/* animasync/expression.h — the deterministic expression engine: the preset
 * bank (authored faces), the parametric layer (closed-form VAD curves), the
 * archetype layer (RBF over the presets) and the compiler that blends them
 * into 52 ARKit weights. Depends on core.h only. */
#ifndef ANIMASYNC_EXPRESSION_H
#define ANIMASYNC_EXPRESSION_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- preset bank ---------------------------------------------------------
 * One authored face per non-neutral class at L1, L3, L5 plus one neutral
 * face: 46 presets. Read-only once made; share it between compilers. */

#define AS_NUM_PRESETS 46

typedef struct as_preset_bank as_preset_bank;

/* The built-in bank (data/presets.json compiled into the library). Never
 * destroy it. Returns NULL only if the built-in data is corrupt. */
const as_preset_bank *as_preset_bank_default(void);

/* Loads a user preset file (schema of data/presets.json) on top of the
 * built-in bank: each preset it holds replaces the built-in one; a file with
 * all 46 replaces the bank. Validates names, values (0..1), classes and
 * levels; on error returns NULL and as_last_error() names the file and entry. */
as_preset_bank *as_preset_bank_load(const char *path);
/* The same from a JSON text; origin names it in error messages. */
as_preset_bank *as_preset_bank_from_json(const char *json, size_t len, const char *origin);
void as_preset_bank_destroy(as_preset_bank *bank);

/* Preset (e, level) into out[52]; level must be 1, 3 or 5 (ignored for
 * neutral). AS_ERR_RANGE for another level. */
as_result as_preset_bank_get(const as_preset_bank *bank, as_emotion e, int level, float out[AS_NUM_CHANNELS]);
/* Replaces one preset (values clamped to 0..1). */
as_result as_preset_bank_set(as_preset_bank *bank, as_emotion e, int level, const float w[AS_NUM_CHANNELS]);
/* A copy of a bank (NULL = built-in) that the caller may edit and destroy. */
as_preset_bank *as_preset_bank_clone(const as_preset_bank *bank);
/* The bank as JSON text (all 46 presets, all 52 names); free with as_free. */
char *as_preset_bank_to_json(const as_preset_bank *bank);
/* Writes the bank to path atomically (temporary name, then rename). */
as_result as_preset_bank_save(const as_preset_bank *bank, const char *path);

/* The i-th preset slot, i in 0..45, in bank order (neutral, then each class at
 * L1, L3, L5): its class and level. */
void as_preset_slot(int i, as_emotion *e, int *level);

/* ---- compiler ------------------------------------------------------------ */

typedef struct {
    float parametric_weight; /* share of the parametric layer, 0..1 (default 0.6);
                                the archetype layer gets the rest */
    float rbf_width;         /* Gaussian RBF width in VAD units, 0.05..2 (default 0.35) */
} as_compiler_params;

as_compiler_params as_compiler_default_params(void);

typedef struct as_compiler as_compiler;

/* A compiler over a preset bank (NULL = built-in). The bank must outlive it.
 * NULL params = defaults. Returns NULL on bad params or allocation failure. */
as_compiler *as_compiler_create(const as_preset_bank *bank, const as_compiler_params *params);
void as_compiler_destroy(as_compiler *c);

/* One face from a conditioning vector. strength: 0 = the neutral face
 * exactly, 1 = as authored, 2 = exaggerated (the deviation from neutral is
 * scaled), range 0..2. Class weights need not sum to 1 (they are normalised;
 * all zero means neutral). V, A, D are clamped to 0..1. Thread-safe: a
 * compiler is read-only after create. Allocates nothing. */
as_result as_compile(const as_compiler *c, float out[AS_NUM_CHANNELS], const as_cond *cond, float strength);

/* The neutral face of the compiler's bank (what strength 0 returns). */
void as_compiler_neutral(const as_compiler *c, float out[AS_NUM_CHANNELS]);

/* The two layers alone, before blending and strength (for tools and tests). */
as_result as_compile_parametric(const as_compiler *c, float out[AS_NUM_CHANNELS], const as_cond *cond);
as_result as_compile_archetype(const as_compiler *c, float out[AS_NUM_CHANNELS], const as_cond *cond);

/* Antagonist pairs and their limits (ARCHITECTURE.md validity): both members
 * above the limit at once is a violation. */
typedef struct {
    int a, b;    /* channel indices */
    float limit; /* 0.3 smile/frown, 0.5 browDown/browInnerUp, 0.4 blink/wide */
} as_antagonist;
/* The table of antagonist pairs; *n receives its length. */
const as_antagonist *as_antagonists(size_t *n);
/* Resolves antagonist conflicts in place: where both members of a pair exceed
 * the pair's limit, their common excess is removed from both (continuous,
 * leaves valid faces untouched). */
void as_resolve_antagonists(float w[AS_NUM_CHANNELS]);

#ifdef __cplusplus
}
#endif
#endif
