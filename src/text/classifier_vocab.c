/* Placeholder until the first trained model: regenerate with `animasync train-classifier ... --emit-c src/text/classifier_weights.c` (docs/CLASSIFIER.md). */
#include <stddef.h>

const unsigned char as_classifier_vocab[1] = {0};
const size_t as_classifier_vocab_len = 0;
