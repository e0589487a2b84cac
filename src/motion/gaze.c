/* motion/gaze.c — the gaze pass of the motion layer: conversational saccades
 * between mutual gaze and looking away, fixational drift, emotion-driven gaze
 * biases (shy looks down and away, sadness looks down, anger stares, fluster's
 * gaze flickers and oscillates), written onto the eight eyeLook channels.
 *
 * Gaze is one direction for both eyes (no vergence), in look units: h > 0
 * towards the subject's own left, v > 0 up; 1 unit = p->gaze_unit_deg of eye
 * rotation. On the channels, looking left is eyeLookOutLeft + eyeLookInRight
 * (In/Out mirror between the eyes), looking up is eyeLookUpLeft + Right.
 *
 * Sources (docs/MOTION.md has the discussion):
 * - Lee, Badler & Badler, "Eyes Alive", ACM TOG 21(3) (SIGGRAPH 2002):
 *   saccade magnitudes fall off exponentially (their fit: percent =
 *   15.7 exp(-A / 6.9), A in degrees, so mean 6.9 deg), most are under 15 deg;
 *   duration follows the main sequence D = D0 + d A with D0 20..30 ms and
 *   d 2..2.7 ms/deg; cardinal directions are about twice as frequent as
 *   diagonal ones; gaze alternates mutual gaze and gaze away, with shorter
 *   mutual-gaze spells while talking than while listening.
 * - Argyle & Cook, "Gaze and Mutual Gaze", 1976: a speaker looks at the
 *   listener less than half the time. Our defaults (mutual holds of 2.0 s,
 *   aways of 0.9 s, return probability 0.6) give about 57% mutual gaze, a
 *   little more than that, because an avatar addresses its viewer.
 * - Fixational eye movements (drift and microsaccades) stay under about 1 deg
 *   (Martinez-Conde, Macknik & Hubel, Nat Rev Neurosci 5, 2004); the default
 *   drift of 0.4 deg s.d. is a visible stand-in for them.
 * - Emotion gaze: embarrassment (shy) lowers the gaze and turns away (Keltner,
 *   "Signs of appeasement", JPSP 68(3), 1995); sadness looks down (Ekman &
 *   Friesen, "Unmasking the Face", 1975); approach emotions (anger) keep a
 *   direct gaze, avoidance emotions avert it (Adams & Kleck, Emotion 5(1),
 *   2005). The table's numbers are authored design values.
 * The compiler's faces already carry a static gaze (shy looks down and to
 * one side); the emotion biases top that up rather than add to it, and the
 * saccades, drift and fluster oscillation move around it. */
#include <math.h>
#include "motion/motion_internal.h"

/* Main sequence (Eyes Alive, after Baloh et al. 1975 / Becker 1989). */
#define SACCADE_D0_S 0.025     /* s */
#define SACCADE_SLOPE_S 0.0024 /* s per degree */
/* The shortest look-away worth a saccade and the mutual-gaze jitter box
 * (small saccades between the listener's eyes and mouth), degrees. */
#define SACCADE_MIN_DEG 2.0
#define MUTUAL_JITTER_DEG 1.0
/* Chance that a look-away is followed by a return to mutual gaze (else
 * another look-away). Design value, see the header comment. */
#define GAZE_RETURN_PROB 0.6
/* Shortest fixation, seconds (fixations under ~150 ms are rare). */
#define GAZE_MIN_HOLD_S 0.15
/* Correlation time of the fixational drift, seconds (design value). */
#define DRIFT_TAU_S 0.5
/* Away bias below which the away side is free to change, look units, and
 * the face gaze that counts as looking to a side. */
#define AWAY_LOCK_EPS 0.01
#define SIDE_EPS 0.002

/* Per-class gaze character, authored. away: sideways bias in look units
 * (applied on the side drawn at seed time); down: downward bias (negative v
 * would be down, so this is a positive number meaning "down"); rate:
 * multiplier of saccade frequency; amp: multiplier of saccade amplitude. */
typedef struct {
    float away, down, rate, amp;
} gaze_character;

static const gaze_character GAZE_TABLE[AS_NUM_EMOTIONS] = {
    [AS_EMO_NEUTRAL] = { 0.00f, 0.00f, 1.0f, 1.0f },
    [AS_EMO_JOY] = { 0.00f, 0.00f, 1.0f, 1.0f },
    [AS_EMO_GRATITUDE] = { 0.00f, 0.03f, 0.9f, 0.9f },   /* soft, slightly lowered */
    [AS_EMO_LAUGHTER] = { 0.00f, -0.03f, 1.0f, 1.0f },   /* head back: eyes a little up */
    [AS_EMO_EXCITEMENT] = { 0.00f, 0.00f, 1.4f, 1.1f },  /* lively */
    [AS_EMO_AGREEMENT] = { 0.00f, 0.00f, 1.0f, 1.0f },
    [AS_EMO_SADNESS] = { 0.00f, 0.20f, 0.7f, 0.8f },     /* down, slow */
    [AS_EMO_CRYING] = { 0.00f, 0.15f, 0.8f, 0.8f },
    [AS_EMO_SULK] = { 0.15f, 0.12f, 0.7f, 0.8f },        /* down and away */
    [AS_EMO_APOLOGY] = { 0.00f, 0.18f, 0.8f, 0.8f },
    [AS_EMO_WORRY] = { 0.03f, 0.05f, 1.5f, 0.9f },       /* restless */
    [AS_EMO_ANGER] = { 0.00f, 0.00f, 0.5f, 0.6f },       /* direct stare */
    [AS_EMO_REFUSAL] = { 0.10f, 0.00f, 0.8f, 1.0f },     /* looks aside */
    [AS_EMO_SURPRISE] = { 0.00f, -0.04f, 0.5f, 0.8f },   /* fixed, slightly up */
    [AS_EMO_FLUSTER] = { 0.05f, 0.05f, 4.0f, 0.35f },    /* flicker: fast small saccades */
    [AS_EMO_SHY] = { 0.18f, 0.22f, 1.2f, 0.7f },         /* down and away */
};

/* Saccade directions: 4 cardinal (weight 2) and 4 diagonal (weight 1), after
 * Eyes Alive's observation that cardinal saccades dominate. */
static const float DIR_H[8] = { 1.0f, -1.0f, 0.0f, 0.0f, 0.70710678f, -0.70710678f, 0.70710678f, -0.70710678f };
static const float DIR_V[8] = { 0.0f, 0.0f, 1.0f, -1.0f, 0.70710678f, 0.70710678f, -0.70710678f, -0.70710678f };
static const int DIR_WEIGHT[8] = { 2, 2, 2, 2, 1, 1, 1, 1 };

static double draw_hold(as_rng *rng, double mean_s)
{
    double extra = mean_s - GAZE_MIN_HOLD_S;
    if (extra < 0.0) extra = 0.0;
    return GAZE_MIN_HOLD_S + as_rng_exp(rng, extra);
}

/* Saccade amplitude in degrees: the exponential law of mean lambda
 * truncated to [SACCADE_MIN_DEG, max] by inverting its CDF (one draw). */
static double draw_amplitude(as_rng *rng, double lambda, double max_deg)
{
    const double lo = SACCADE_MIN_DEG < max_deg ? SACCADE_MIN_DEG : max_deg;
    const double u = as_rng_uniform(rng);
    if (lambda <= 0.0) return lo;
    const double span = 1.0 - exp(-(max_deg - lo) / lambda);
    return lo - lambda * log(1.0 - u * span);
}

static int draw_direction(as_rng *rng)
{
    int pick = (int)(as_rng_uniform(rng) * 12.0); /* 12 = sum of DIR_WEIGHT; u in (0,1] */
    if (pick > 11) pick = 11;
    for (int i = 0; i < 8; i++) {
        if (pick < DIR_WEIGHT[i]) return i;
        pick -= DIR_WEIGHT[i];
    }
    return 7;
}

void motion_gaze_init(motion_gaze_state *s, const as_motion_params *p)
{
    as_rng_seed(&s->rng, p->seed, MOTION_STREAM_GAZE);
    s->side = (as_rng_next(&s->rng) >> 63) ? 1 : -1;
    s->side_locked = 0;
    s->away = 0;
    s->hold_acc = 0.0;
    s->hold_target = draw_hold(&s->rng, p->gaze_hold_mutual_s);
    s->from_h = s->from_v = s->to_h = s->to_v = 0.0f;
    s->sac_t = 0.0;
    s->sac_dur = 0.0;
    s->drift_h = s->drift_v = 0.0;
    motion_osc_init(&s->fluster, &s->rng, p->fluster_rate_hz, p->pattern_jitter);
}

/* Chooses the next fixation and starts the saccade towards it. amp_mult:
 * the emotion mix's amplitude multiplier. */
static void new_saccade(motion_gaze_state *s, const as_motion_params *p, float amp_mult)
{
    const double dt = 1.0 / p->fps;
    const double unit = p->gaze_unit_deg;
    double th, tv; /* target, degrees */
    int go_mutual = 0;
    if (s->away) go_mutual = as_rng_uniform(&s->rng) <= GAZE_RETURN_PROB;
    if (go_mutual) {
        th = MUTUAL_JITTER_DEG * (2.0 * as_rng_uniform(&s->rng) - 1.0);
        tv = MUTUAL_JITTER_DEG * (2.0 * as_rng_uniform(&s->rng) - 1.0);
        s->away = 0;
        s->hold_target = draw_hold(&s->rng, p->gaze_hold_mutual_s);
    } else {
        const double a = draw_amplitude(&s->rng, p->saccade_mean_deg, p->saccade_max_deg) * amp_mult;
        const int d = draw_direction(&s->rng);
        th = a * DIR_H[d];
        tv = a * DIR_V[d];
        s->away = 1;
        s->hold_target = draw_hold(&s->rng, p->gaze_hold_away_s);
    }
    s->from_h = s->to_h;
    s->from_v = s->to_v;
    s->to_h = (float)(th / unit);
    s->to_v = (float)(tv / unit);
    /* Duration from the main sequence on the distance actually travelled,
     * but at least two frame periods: a one-frame jump pops at 30 fps, so a
     * saccade completes over 2 (rarely 3) frames. */
    const double dist_deg = unit * hypot((double)(s->to_h - s->from_h), (double)(s->to_v - s->from_v));
    double dur = SACCADE_D0_S + SACCADE_SLOPE_S * dist_deg;
    if (dur < 2.0 * dt) dur = 2.0 * dt;
    s->sac_dur = dur;
    s->sac_t = 0.0;
    s->hold_acc = 0.0;
}

/* Net gaze of a frame's eyes, look units (h + = subject's left, v + = up). */
static double gaze_h_left(const float *f) { return motion_clamp01(f[AS_EYE_LOOK_OUT_LEFT]) - motion_clamp01(f[AS_EYE_LOOK_IN_LEFT]); }
static double gaze_h_right(const float *f) { return motion_clamp01(f[AS_EYE_LOOK_IN_RIGHT]) - motion_clamp01(f[AS_EYE_LOOK_OUT_RIGHT]); }
static double gaze_v_left(const float *f) { return motion_clamp01(f[AS_EYE_LOOK_UP_LEFT]) - motion_clamp01(f[AS_EYE_LOOK_DOWN_LEFT]); }
static double gaze_v_right(const float *f) { return motion_clamp01(f[AS_EYE_LOOK_UP_RIGHT]) - motion_clamp01(f[AS_EYE_LOOK_DOWN_RIGHT]); }

/* How much to add so that a gaze already at `have` (along the bias
 * direction) reaches `target`: target - max(0, have), never negative. */
static double top_up(double target, double have)
{
    const double already = have > 0.0 ? have : 0.0;
    return target > already ? target - already : 0.0;
}

/* Moves d of gaze onto a channel pair: first out of the opposite channel,
 * the rest into the channel of the direction, so a frame whose pair is
 * one-sided (the usual case) gets exactly its net value shifted by d. */
static void push_pair(float *frame, int pos_ch, int neg_ch, float d)
{
    float pos = motion_clamp01(frame[pos_ch]), neg = motion_clamp01(frame[neg_ch]);
    if (d >= 0.0f) {
        const float take = neg < d ? neg : d;
        neg -= take;
        pos += d - take;
    } else {
        const float take = pos < -d ? pos : -d;
        pos -= take;
        neg += -d - take;
    }
    frame[pos_ch] = pos;
    frame[neg_ch] = neg;
}

void motion_gaze_step(motion_gaze_state *s, const as_motion_params *p, float *frame, const as_cond *cond)
{
    const double dt = 1.0 / p->fps;
    float w[AS_NUM_EMOTIONS];
    motion_class_weights(cond, w);

    /* The emotion mix, crossfading with the class weights. */
    float away = 0.0f, down = 0.0f, rate = 0.0f, amp = 0.0f;
    for (int e = 0; e < AS_NUM_EMOTIONS; e++) {
        away += w[e] * GAZE_TABLE[e].away;
        down += w[e] * GAZE_TABLE[e].down;
        rate += w[e] * GAZE_TABLE[e].rate;
        amp += w[e] * GAZE_TABLE[e].amp;
    }

    /* Fixation clock, running faster for restless emotions; a new saccade
     * once the fixation is over and the previous saccade has landed. */
    s->hold_acc += rate * dt;
    if (s->sac_t >= s->sac_dur && s->hold_acc >= s->hold_target) new_saccade(s, p, amp);

    /* Saccade trajectory: smoothstep from the old to the new fixation. */
    const double x = s->sac_dur > 0.0 ? s->sac_t / s->sac_dur : 1.0;
    const double e = motion_smoothstep(x);
    const double pos_h = s->from_h + (s->to_h - s->from_h) * e;
    const double pos_v = s->from_v + (s->to_v - s->from_v) * e;
    s->sac_t += dt;

    /* Fixational drift: an Ornstein-Uhlenbeck process per axis, exact
     * discretisation x <- a x + sigma sqrt(1 - a^2) N, a = exp(-dt / tau),
     * so its standard deviation is sigma at every frame rate. */
    const double a = exp(-dt / DRIFT_TAU_S);
    const double kick = p->gaze_drift_deg * sqrt(1.0 - a * a);
    s->drift_h = a * s->drift_h + kick * as_rng_normal(&s->rng);
    s->drift_v = a * s->drift_v + kick * as_rng_normal(&s->rng);

    /* Fluster oscillation: a quasi-periodic horizontal dart. */
    const double osc = sin(6.283185307179586 * s->fluster.phase);
    motion_osc_advance(&s->fluster, &s->rng, p->fluster_rate_hz, p->pattern_jitter, dt);

    /* Emotion biases top up the expression's own static gaze instead of
     * adding to it: the compiler's shy face already looks down and to one
     * side, so the bias only supplies what the face lacks in that direction
     * (all of it for a face without gaze, nothing for one that looks further
     * already). A face looking the other way gets the full bias added. Both
     * are continuous in the weights and in the face. */
    const double base_h = 0.5 * (gaze_h_left(frame) + gaze_h_right(frame));
    const double base_v = 0.5 * (gaze_v_left(frame) + gaze_v_right(frame));
    const double away_t = p->gaze_emotion_gain * away; /* >= 0 */
    const double down_t = p->gaze_emotion_gain * down; /* < 0 means up */
    /* The "away" side locks when an averting emotion sets in: the side the
     * face already looks to, else the seed's side; it is held while the
     * emotion lasts, so crossfades never flip it. */
    if (away_t < AWAY_LOCK_EPS) {
        s->side_locked = 0;
    } else if (!s->side_locked) {
        if (base_h > SIDE_EPS) s->side = 1;
        else if (base_h < -SIDE_EPS) s->side = -1;
        s->side_locked = 1;
    }
    const double bias_h = s->side * top_up(away_t, s->side * base_h);
    const double bias_v = down_t >= 0.0 ? -top_up(down_t, -base_v) : top_up(-down_t, base_v);

    const float dh = (float)(pos_h + s->drift_h / p->gaze_unit_deg + bias_h +
                             p->fluster_gaze_gain * w[AS_EMO_FLUSTER] * osc);
    const float dv = (float)(pos_v + s->drift_v / p->gaze_unit_deg + bias_v);

    push_pair(frame, AS_EYE_LOOK_OUT_LEFT, AS_EYE_LOOK_IN_LEFT, dh);   /* left eye: out = to its left */
    push_pair(frame, AS_EYE_LOOK_IN_RIGHT, AS_EYE_LOOK_OUT_RIGHT, dh); /* right eye: in = to the left */
    push_pair(frame, AS_EYE_LOOK_UP_LEFT, AS_EYE_LOOK_DOWN_LEFT, dv);
    push_pair(frame, AS_EYE_LOOK_UP_RIGHT, AS_EYE_LOOK_DOWN_RIGHT, dv);
}
