import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';

/** The gettext domain of the extension's UI strings (its language packs use it). */
export const TRANSLATION_DOMAIN = 'elastic_notebook';

/** The extension's strings in the user's language (English without a translator). */
export function translationBundle(translator: ITranslator = nullTranslator): TranslationBundle {
  return translator.load(TRANSLATION_DOMAIN);
}

/** English, for views rendered without a translator (tests, other extensions). */
export const ENGLISH: TranslationBundle = translationBundle();
