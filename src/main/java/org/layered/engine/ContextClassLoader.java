package org.layered.engine;

import java.util.concurrent.Callable;

/**
 * Runs code with the thread context class loader set to the loader of a given class, restoring it afterwards.
 *
 * <p>ImageJ and Fiji load plugins through their own class loaders while the context loader stays the application
 * loader; DJL (engine discovery, native resources, tokenizers) looks through the context loader. Every entry point
 * that may reach DJL goes through here.
 */
public final class ContextClassLoader {
    private ContextClassLoader() {}

    /** {@code body} with the context loader of {@code owner}. */
    public static void run(Class<?> owner, Runnable body) {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(owner.getClassLoader());
        try {
            body.run();
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    /** The same for code with a result; checked exceptions pass through. */
    public static <T> T call(Class<?> owner, Callable<T> body) throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(owner.getClassLoader());
        try {
            return body.call();
        } finally {
            t.setContextClassLoader(previous);
        }
    }
}
