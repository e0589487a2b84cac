/* bench_generate.c — dataset generator throughput: clips per hour with
 * --jobs 1 and --jobs 2 over the shipped corpus (wall clock, whole runs:
 * corpus load, voice check, synthesis, augmentation, features, targets,
 * writing shards and manifest). Clip length follows the corpus (a run of
 * 1..3 turns), so the figure is also given per hour of speech and as the
 * equivalent count of 3-second clips, the unit of the target
 * (100,000 clips/hour with --jobs 2).
 *
 * usage: bench_generate [CLIPS (default 400)] [CORPUS (default data/scenarios)] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "animasync/animasync.h"

int main(int argc, char **argv)
{
    size_t clips = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 400;
    const char *corpus = argc > 2 ? argv[2] : AS_SOURCE_DIR "/data/scenarios";
    if (clips < 1) clips = 1;
    for (int jobs = 1; jobs <= 2; jobs++) {
        char dir[] = "/tmp/bench-generate-XXXXXX";
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
        as_generate_params p = as_generate_default_params();
        p.scenarios = corpus;
        p.out_dir = dir;
        p.clips = clips;
        p.jobs = jobs;
        as_generate_report rep;
        as_result r = as_dataset_generate(&p, &rep);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "bench_generate: could not remove %s\n", dir);
        if (r != AS_OK) {
            fprintf(stderr, "bench_generate: %s\n", as_last_error());
            return 1;
        }
        double per_hour = (double)rep.clips_made / rep.elapsed_s * 3600.0;
        double mean_s = rep.audio_s / (double)rep.clips_made;
        double rt = rep.audio_s / rep.elapsed_s;
        printf("bench_generate: --jobs %d: %8.0f clips/hour  (%zu clips, mean %.2f s of speech, in %.2f s: "
               "%.0fx real time = %.0f three-second clips/hour; target with --jobs 2: 100000)\n",
               jobs, per_hour, rep.clips_made, mean_s, rep.elapsed_s, rt, rt * 3600.0 / 3.0);
    }
    return 0;
}
