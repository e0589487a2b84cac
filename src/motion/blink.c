/* motion/blink.c — the blink pass of the motion layer: spontaneous blinks at
 * an arousal-dependent rate, extra blinks at phrase boundaries and emotion
 * changes, each an asymmetric lid curve (fast close, slower open) added to
 * eyeBlinkLeft/Right, with eyeWide held under the validity limit while the
 * lid is down. Both eyes blink together.
 *
 * Sources for the constants (docs/MOTION.md has the discussion):
 * - Rate: resting spontaneous blink rate about 17/min, conversation about
 *   26/min, reading about 4.5/min (Bentivoglio et al., "Analysis of blink rate
 *   patterns in normal subjects", Movement Disorders 12(6), 1997). The
 *   animation range 12..20/min (default) rising with arousal is our design
 *   choice inside that span; an avatar blinking 26/min reads as nervous.
 * - Intervals: inter-blink intervals are right-skewed; a gamma law of shape 4
 *   (coefficient of variation 0.5) gives that skew without the very short
 *   gaps of a Poisson process. Shape 4 is our choice.
 * - Duration: 100..400 ms for a full blink (BioNumbers, Harvard; Stern,
 *   Walrath & Goldstein, "The endogenous eyeblink", Psychophysiology 21(1),
 *   1984); default 100..300 ms, skewed towards short blinks.
 * - Asymmetry: the lid closes much faster than it reopens (Evinger, Manning &
 *   Sibony, "Eyelid movements: mechanisms and normal data", IOVS 32(2),
 *   1991; VanderWerf et al., J Neurophysiol 89, 2003): closing takes about a
 *   third of the blink.
 * - Blinks cluster at pauses and ends of phrases and at changes of state
 *   (Cassell et al., "Animated Conversation", SIGGRAPH 1994, after Condon &
 *   Ogston 1967): a marker triggers a blink with probability 0.7. */
#include <math.h>
#include "motion/motion_internal.h"

/* Shape of the gamma law of inter-blink intervals (mean 1 interval). */
#define BLINK_GAMMA_SHAPE 4
/* Validity (ARCHITECTURE.md): eyeBlink and eyeWide never both above 0.4. */
#define BLINK_WIDE_LIMIT 0.4f
/* eyeWide cap while blinking: 1 - 1.5 c reaches the 0.4 limit at c = 0.4 and
 * stays there; see apply_curve. */
#define BLINK_WIDE_SLOPE 1.5f
/* After the lid is down the cap rises back at most this fast (per second):
 * eyeWide eases back over ~0.3 s instead of snapping up in one frame, which
 * halves the blink's share of eyeWide's mean |2nd difference|. */
#define BLINK_WIDE_RECOVER_PER_S 2.0

/* Gamma(shape 4, mean 1): the sum of 4 exponentials of mean 1/4. */
static double draw_interval(as_rng *rng)
{
    double prod = 1.0;
    for (int i = 0; i < BLINK_GAMMA_SHAPE; i++) prod *= as_rng_uniform(rng);
    return -log(prod) / BLINK_GAMMA_SHAPE;
}

void motion_blink_init(motion_blink_state *s, const as_motion_params *p)
{
    as_rng_seed(&s->rng, p->seed, MOTION_STREAM_BLINK);
    s->target = draw_interval(&s->rng);
    /* Start at a random point of the first interval, so a clip's first blink
     * is not always a whole interval away. */
    s->acc = s->target * (1.0 - as_rng_uniform(&s->rng));
    s->since_onset = 1e9;
    s->frames_in = 0;
    s->dur_s = 0.0;
    s->close_s = 0.0;
    s->wide_cap[0] = s->wide_cap[1] = 1.0f;
    s->active = 0;
    s->prev_class = -1;
}

static void start_blink(motion_blink_state *s, const as_motion_params *p)
{
    const double dt = 1.0 / p->fps;
    const double dmin = p->blink_duration_min_ms * 1e-3, dmax = p->blink_duration_max_ms * 1e-3;
    const double u = as_rng_uniform(&s->rng);
    /* u^2 skews towards short blinks: median dmin + 0.25 range, mean + 1/3. */
    s->dur_s = dmin + (dmax - dmin) * u * u;
    /* The closing time is a whole number of frames (at least one), so the
     * fully closed lid always falls on a frame even at 30 fps; never all of
     * the blink, so at least one frame of reopening remains. */
    double close_frames = floor(p->blink_close_fraction * s->dur_s / dt + 0.5);
    if (close_frames < 1.0) close_frames = 1.0;
    s->close_s = close_frames * dt;
    if (s->close_s >= s->dur_s) s->dur_s = s->close_s + dt;
    s->active = 1;
    s->frames_in = 0;
    s->since_onset = 0.0;
    /* A blink restarts the spontaneous interval clock. */
    s->acc = 0.0;
    s->target = draw_interval(&s->rng);
}

/* Lid closure 0..1 at t seconds into the blink: smoothstep down to the full
 * closure at close_s (accelerating then braking, as the lid does), then a
 * quadratic ease-out reopening (fast at first, long slow tail). */
static double blink_curve(double t, double close_s, double dur_s)
{
    if (t <= 0.0 || t >= dur_s) return 0.0;
    if (t < close_s) return motion_smoothstep(t / close_s);
    const double u = (t - close_s) / (dur_s - close_s);
    return (1.0 - u) * (1.0 - u);
}

/* Adds closure c to both eyes: eyeBlink = b + (1 - b) c (saturating, so a
 * squinting base still closes fully). eyeWide is capped so that the lid can
 * come down, per eye:
 * - on the onset frame (c still 0) the cap drops halfway from the eye's
 *   eyeWide to 0.4: the upper lid starts down before the blink shape rises,
 *   which splits a wide eye's drop over two frames;
 * - while closing the cap follows max(0.4, 1 - 1.5 c) at once: untouched
 *   while c is small, at the 0.4 validity limit once the lid is mostly down;
 * - afterwards it rises back at BLINK_WIDE_RECOVER_PER_S.
 * Capping only to the limit (rather than zeroing eyeWide), the split drop and
 * the slow recovery keep eyeWide, a slow channel, within the temporal
 * smoothness contract for wide-eyed faces (surprise at strength 2). */
static void apply_curve(motion_blink_state *s, float *frame, float c, int onset, double dt)
{
    static const int blink_ch[2] = { AS_EYE_BLINK_LEFT, AS_EYE_BLINK_RIGHT };
    static const int wide_ch[2] = { AS_EYE_WIDE_LEFT, AS_EYE_WIDE_RIGHT };
    float closing = 1.0f - BLINK_WIDE_SLOPE * c;
    if (closing < BLINK_WIDE_LIMIT) closing = BLINK_WIDE_LIMIT;
    for (int i = 0; i < 2; i++) {
        const float wide = frame[wide_ch[i]];
        float target = closing;
        if (onset && wide > BLINK_WIDE_LIMIT) target = BLINK_WIDE_LIMIT + 0.5f * (wide - BLINK_WIDE_LIMIT);
        const float risen = (float)(s->wide_cap[i] + BLINK_WIDE_RECOVER_PER_S * dt);
        s->wide_cap[i] = target < risen ? target : risen;
        if (s->wide_cap[i] > 1.0f) s->wide_cap[i] = 1.0f;
        if (c > 0.0f) {
            const float b = motion_clamp01(frame[blink_ch[i]]);
            frame[blink_ch[i]] = b + (1.0f - b) * c;
        }
        if (wide > s->wide_cap[i]) frame[wide_ch[i]] = s->wide_cap[i];
    }
}

void motion_blink_step(motion_blink_state *s, const as_motion_params *p, float *frame, const as_cond *cond,
                       int marker)
{
    const double dt = 1.0 / p->fps;
    float w[AS_NUM_EMOTIONS];
    const int cls = motion_class_weights(cond, w);
    const float arousal = motion_arousal(cond);

    /* Events: a caller's marker (phrase boundary, emotion change) or a change
     * of the dominant class in the conditioning. */
    const int event = marker || (s->prev_class >= 0 && cls != s->prev_class);
    s->prev_class = cls;
    int start = 0;
    if (event) {
        const double u = as_rng_uniform(&s->rng); /* drawn for every event: a fixed draw count */
        if (!s->active && s->since_onset >= p->blink_refractory_s && u <= p->blink_event_prob) start = 1;
    }

    /* Spontaneous blinks: accumulate "intervals" at the current rate (per
     * minute, linear in arousal) and blink when the drawn target is reached.
     * A target reached mid-blink or inside the refractory time waits. */
    const double rate_per_min = p->blink_rate_min + (p->blink_rate_max - p->blink_rate_min) * arousal;
    s->acc += rate_per_min / 60.0 * dt;
    if (!start && !s->active && s->acc >= s->target && s->since_onset >= p->blink_refractory_s) start = 1;

    if (start) start_blink(s, p);

    float c = 0.0f;
    const int onset = start;
    if (s->active) {
        const double t = (double)s->frames_in * dt;
        c = (float)blink_curve(t, s->close_s, s->dur_s);
        s->frames_in++;
        if ((double)s->frames_in * dt >= s->dur_s) s->active = 0;
    }
    s->since_onset += dt;
    apply_curve(s, frame, c, onset, dt);
}
