package org.layered.model.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Qwen-Image prompt template and its token bookkeeping ({@code QwenImageLayeredPipeline._get_qwen_prompt_embeds}
 * and {@code encode_prompt}).
 *
 * <p>A prompt is formatted into {@link #TEMPLATE}, the whole text is tokenised, and the first {@link #DROP_INDEX}
 * tokens of each sequence (the system part up to and including {@code <|im_start|>user\n}) are dropped from the text
 * encoder's output; the suffix {@code <|im_end|>\n<|im_start|>assistant\n} is kept. The drop is by position, exactly
 * as upstream: a prompt that starts with a newline merges with the template's {@code \n} into one token, so the
 * 34th token is that merged token and the prompt's leading newline is dropped with the prefix
 * ({@link Tokenized#prefixIntact()} is then false). After the drop, {@code encode_prompt} keeps at most
 * {@code max_sequence_length} tokens.
 */
public final class PromptTemplate {
    /** {@code prompt_template_encode}; {@code {}} is replaced by the prompt. */
    public static final String TEMPLATE = "<|im_start|>system\nDescribe the image by detailing the color, shape, "
            + "size, texture, quantity, text, spatial relationships of the objects and background:<|im_end|>\n"
            + "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n";
    /** {@code prompt_template_encode_start_idx}: tokens dropped from the front of every sequence. */
    public static final int DROP_INDEX = 34;
    /** The pipeline's {@code max_sequence_length} default ({@code __call__}). */
    public static final int DEFAULT_MAX_SEQUENCE_LENGTH = 512;
    /** {@code encode_prompt}'s own default, and the largest value {@code __call__} accepts. */
    public static final int MAX_SEQUENCE_LENGTH_LIMIT = 1024;

    private static final int HOLE = TEMPLATE.indexOf("{}");
    /** The template text before the prompt. */
    public static final String PREFIX = TEMPLATE.substring(0, HOLE);
    /** The template text after the prompt. */
    public static final String SUFFIX = TEMPLATE.substring(HOLE + 2);

    private PromptTemplate() {
    }

    /** {@code template.format(prompt)}: the prompt is inserted verbatim (braces in it are not interpreted). */
    public static String format(String prompt) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt is null (an empty prompt is auto-captioned by the pipeline, "
                    + "not encoded)");
        }
        return PREFIX + prompt + SUFFIX;
    }

    /**
     * Tokenises {@link #PREFIX} and checks that it is exactly {@link #DROP_INDEX} tokens, the assumption behind
     * upstream's fixed drop index.
     *
     * @return the prefix ids
     * @throws IllegalStateException when the tokenizer splits the prefix differently (wrong vocabulary)
     */
    public static long[] verifyPrefix(QwenTokenizer tokenizer) {
        long[] ids = tokenizer.encode(PREFIX);
        if (ids.length != DROP_INDEX) {
            throw new IllegalStateException("the prompt template prefix tokenises to " + ids.length + " tokens, but "
                    + "the pipeline drops " + DROP_INDEX + " (prompt_template_encode_start_idx): this tokenizer is "
                    + "not the Qwen2.5-VL one");
        }
        return ids;
    }

    /**
     * Checks a {@code max_sequence_length} as the pipeline does.
     *
     * @throws IllegalArgumentException unless {@code 1 <= n <= 1024}
     */
    public static int checkMaxSequenceLength(int n) {
        if (n < 1 || n > MAX_SEQUENCE_LENGTH_LIMIT) {
            throw new IllegalArgumentException("max_sequence_length must be 1.." + MAX_SEQUENCE_LENGTH_LIMIT
                    + ", got " + n);
        }
        return n;
    }

    /**
     * One prompt's tokens.
     *
     * @param prompt       the prompt
     * @param ids          all ids of the formatted text
     * @param prefixIntact whether the first {@link #DROP_INDEX} ids are the template prefix's ids (false e.g. for a
     *                     prompt starting with a newline; upstream drops 34 tokens regardless)
     */
    public record Tokenized(String prompt, long[] ids, boolean prefixIntact) {
        /** Tokens kept after the drop (before any max_sequence_length cut). */
        public int keptLength() {
            return Math.max(0, ids.length - DROP_INDEX);
        }

        /** The kept ids, {@code ids[34:]}. */
        public long[] keptIds() {
            return Arrays.copyOfRange(ids, Math.min(DROP_INDEX, ids.length), ids.length);
        }

        /**
         * The ids the encoder has to see for the first {@code maxKept} kept tokens. The encoder is causal, so the
         * hidden states of those tokens do not depend on any later token: cutting the input here gives exactly the
         * states upstream computes on the full sequence and cuts afterwards.
         */
        public long[] inputIds(int maxKept) {
            return Arrays.copyOf(ids, Math.min(ids.length, DROP_INDEX + maxKept));
        }
    }

    /** Formats and tokenises each prompt. */
    public static List<Tokenized> tokenize(QwenTokenizer tokenizer, List<String> prompts) {
        long[] prefix = tokenizer.encode(PREFIX);
        List<Tokenized> out = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            long[] ids = tokenizer.encode(format(p));
            boolean intact = ids.length >= prefix.length
                    && Arrays.equals(Arrays.copyOf(ids, prefix.length), prefix);
            out.add(new Tokenized(p, ids, intact));
        }
        return out;
    }
}
