/* Placeholder until the first trained model: regenerate with `animasync train-classifier ... --emit-c src/text/classifier_weights.c` (docs/CLASSIFIER.md). */
/* No built-in weights: as_classifier_default() returns NULL and says so. */
#include <stddef.h>
#include <stdint.h>

const int32_t as_classifier_weights_header[2] = {2, 0};
const size_t as_classifier_weights_count = 0;
const float as_classifier_weights[1] = {0};
