// The single-page shop: routes with history.pushState, asks /spa/api for JSON, and draws each
// view into <main id="app"> from scratch, as a React or Vue storefront re-renders. No build
// step, no framework: SHOP (delivery options, countries) is set by the shell before this runs.
'use strict';
var app = document.getElementById('app');
var appError = document.getElementById('app-error');
var cartLink = document.getElementById('cart-link');

function esc(text) {
  return String(text).replace(/[&<>"']/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
  });
}

function ApiError(status, body) {
  this.status = status;
  this.body = body || {};
}

// One call to the shop's API; a 5xx (or a network failure) shows the shop's error banner,
// as storefronts do when their backend fails.
function api(method, path, body) {
  var init = {method: method, headers: {'Accept': 'application/json'}, credentials: 'same-origin'};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return fetch('/spa/api' + path, init).then(function (response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      if (!response.ok) { throw new ApiError(response.status, data); }
      return data;
    });
  });
}

function failed(error) {
  var refused = error instanceof ApiError && error.status < 500 && error.body.error;
  appError.textContent = refused ||
    'Something went wrong. Please try again in a few minutes.';
  appError.hidden = false;
}

function setCartCount(count) {
  cartLink.textContent = count ? 'Cart (' + count + ')' : 'Cart';
}

function summaryCard(summary, prefix, extra) {
  var lines = summary.lines.map(function (line) {
    return '<li><span>' + esc(line.name) + ' <span class=muted>&times; ' + line.quantity +
      ', size ' + esc(line.size) + '</span></span><span>' + esc(line.total) + '</span></li>';
  }).join('');
  return '<aside class="summary-card" data-testid="' + prefix + '"><h2>Order summary</h2>' +
    '<ul class="summary-lines">' + lines + '</ul><dl class="totals">' +
    '<dt>Subtotal</dt><dd id="' + prefix + '-subtotal">' + esc(summary.subtotal) + '</dd>' +
    '<dt>Delivery</dt><dd id="' + prefix + '-delivery">' +
    esc(summary.delivery || 'Not chosen yet') + '</dd>' +
    '<dt class="totals__total">Total</dt><dd class="totals__total" id="' + prefix +
    '-total" data-testid="' + prefix + '-total">' + esc(summary.total) + '</dd></dl>' +
    (extra || '') + '</aside>';
}

function progress(current) {
  return '<ol class="progress" aria-label="Checkout progress">' +
    ['Details', 'Payment', 'Confirmation'].map(function (name, i) {
      return '<li' + (i === current ? ' aria-current=step' : '') +
        (i < current ? ' class=done' : '') + '>' + name + '</li>';
    }).join('') + '</ol>';
}

var views = {
  home: function () {
    return api('GET', '/products').then(function (data) {
      var cards = data.products.map(function (p) {
        return '<li><a class="product-card" data-route href="/spa/product/' + esc(p.slug) +
          '" data-testid="product-link-' + esc(p.slug) + '">' +
          '<img class="product-card__image" src="' + esc(p.image) +
          '" alt="" width="800" height="600">' +
          '<span class="product-card__category">' + esc(p.category) + '</span>' +
          '<span class="product-card__name">' + esc(p.name) + '</span>' +
          '<span class="product-card__price">' + esc(p.price) + '</span></a></li>';
      }).join('');
      document.title = 'Gear for the trail · Summit Outfitters';
      app.innerHTML = '<section class="hero"><h1>Gear for the trail</h1><p>Shoes, shells ' +
        'and packs tested on real mountains.</p></section>' +
        '<h2 class="section-title">Bestsellers</h2>' +
        '<ul class="product-grid" data-testid="product-grid">' + cards + '</ul>';
    });
  },

  product: function (slug) {
    return api('GET', '/products/' + encodeURIComponent(slug)).then(function (data) {
      var p = data.product;
      var sizes = p.sizes.map(function (size) {
        return '<option' + (size === p.default_size ? ' selected' : '') + '>' + esc(size) +
          '</option>';
      }).join('');
      document.title = p.name + ' · Summit Outfitters';
      app.innerHTML = '<article class="product" data-testid="product">' +
        '<img class="product__image" id="product-image" src="' + esc(p.image) + '" alt="' +
        esc(p.name) + '" width="800" height="600"><div class="product__details">' +
        '<p class="eyebrow">' + esc(p.category) + '</p>' +
        '<h1 class="product__name">' + esc(p.name) + '</h1>' +
        '<p class="price" id="price" data-testid="price">' + esc(p.price) + '</p>' +
        '<p class="product__summary">' + esc(p.summary) + '</p>' +
        '<form id="add-to-cart-form" class="buy-box"><div class="field">' +
        '<label for="size">Size</label><select id="size" name="size">' + sizes +
        '</select></div><button id="add-to-cart" data-testid="add-to-cart" type="submit" ' +
        'class="button button--primary button--wide">Add to cart</button></form></div></article>';
      document.getElementById('add-to-cart-form').addEventListener('submit', function (event) {
        event.preventDefault();
        var button = document.getElementById('add-to-cart');
        button.disabled = true;
        var size = document.getElementById('size').value;
        api('POST', '/cart', {product: p.slug, size: size, quantity: 1}).then(function (data) {
          setCartCount(data.cart.count);
          navigate('/spa/cart');
        }).catch(function (error) {
          button.disabled = false;
          failed(error);
        });
      });
    });
  },

  cart: function () {
    return api('GET', '/cart').then(function (data) {
      var cart = data.cart;
      setCartCount(cart.count);
      document.title = 'Your cart · Summit Outfitters';
      if (!cart.lines.length) {
        app.innerHTML = '<h1>Your cart</h1><section class="notice" data-testid="empty-cart">' +
          '<p>Your cart is empty.</p><p><a class="button" data-route href="/spa/">' +
          'Continue shopping</a></p></section>';
        return;
      }
      var rows = cart.lines.map(function (line) {
        return '<li class="cart-line" data-testid="cart-line"><div class="cart-line__main">' +
          '<span class="cart-line__name">' + esc(line.name) + '</span><p class="muted">Size ' +
          esc(line.size) + ' · <span data-testid="unit-price">' + esc(line.unit) +
          '</span> each · quantity ' + line.quantity + '</p></div>' +
          '<p class="cart-line__total" data-testid="line-total">' + esc(line.total) +
          '</p></li>';
      }).join('');
      app.innerHTML = '<h1>Your cart</h1><div class="two-column">' +
        '<ul class="cart-lines" data-testid="cart-lines">' + rows + '</ul>' +
        '<aside class="summary-card"><dl class="totals"><dt>Subtotal</dt><dd>' +
        esc(cart.subtotal) + '</dd><dt class="totals__total">Total</dt>' +
        '<dd class="totals__total" id="cart-total" data-testid="cart-total">' +
        esc(cart.total) + '</dd></dl><button id="checkout-button" ' +
        'data-testid="checkout-button" class="button button--primary button--wide" ' +
        'type="button">Go to checkout</button></aside></div>';
      document.getElementById('checkout-button').addEventListener('click', function () {
        navigate('/spa/checkout');
      });
    });
  },

  checkout: function () {
    return api('GET', '/cart').then(function (data) {
      document.title = 'Checkout · Summit Outfitters';
      app.innerHTML = progress(0) + '<h1>Checkout</h1><div class="two-column">' +
        checkoutForm() + summaryCard(data.cart, 'summary') + '</div>';
      wireCheckout();
    });
  },

  payment: function () {
    return api('GET', '/payment').then(function (data) { showPayment(data.payment); },
      function (error) {
        if (error instanceof ApiError && error.status === 409) { return navigate('/spa/cart'); }
        throw error;
      });
  },

  order: function (number) {
    return api('GET', '/orders/' + encodeURIComponent(number)).then(function (data) {
      var order = data.order;
      var extra = '<div class="summary-extra"><h3>Delivery</h3><p data-testid="order-delivery">' +
        esc(order.details.delivery) + '</p><h3>Paid with</h3><p id="order-payment">' +
        esc(order.paid_with) + '</p></div>';
      setCartCount(0);
      document.title = 'Order ' + order.number + ' · Summit Outfitters';
      app.innerHTML = progress(2) + '<section class="confirmation" ' +
        'data-testid="order-confirmation"><h1>Thank you for your order</h1>' +
        '<p class="lead">Your order number is <strong id="order-number" ' +
        'data-testid="order-number">' + esc(order.number) + '</strong></p><p>We\'ve sent a ' +
        'confirmation to <strong>' + esc(order.details.email) + '</strong>.</p></section>' +
        '<div class="confirmation-summary">' + summaryCard(order.summary, 'order', extra) +
        '</div>';
    });
  },

  processing: function () {
    document.title = 'Processing your order · Summit Outfitters';
    app.innerHTML = '<section class="notice processing" data-testid="order-processing">' +
      '<div class="spinner" aria-hidden="true"></div><h1>Processing your order…</h1>' +
      '<p>Please don\'t close this page or press back.</p></section>';
    return Promise.resolve();
  },

  notFound: function () {
    app.innerHTML = '<section class="notice"><h1>Page not found</h1><p><a class="button" ' +
      'data-route href="/spa/">Back to the shop</a></p></section>';
    return Promise.resolve();
  },
};

function field(id, label, attrs) {
  return '<div class="field" id="' + id + '-field"><label for="' + id + '">' + label +
    '</label><input id="' + id + '" name="' + id + '" data-testid="' + id + '" ' +
    (attrs || '') + '></div>';
}

function checkoutForm() {
  var countries = SHOP.countries.map(function (name) {
    return '<option>' + esc(name) + '</option>';
  }).join('');
  var delivery = SHOP.delivery.map(function (o, i) {
    var id = 'delivery-' + o.code;
    var choices = o.choices.map(function (c) { return '<option>' + esc(c) + '</option>'; });
    return '<div class="delivery-option"><input type="radio" id="' + id + '" data-testid="' +
      id + '" name="delivery" value="' + esc(o.code) + '" data-cents="' + o.cents + '"' +
      (i === 0 ? ' checked' : '') + '><label for="' + id + '">' + esc(o.label) + '</label>' +
      '<span class="delivery-option__price">' + esc(o.price) + '</span>' +
      '<span class="delivery-option__promise">' + esc(o.promise) + '</span></div>' +
      '<div class="delivery-choice field" data-for="' + esc(o.code) + '"' +
      (i === 0 ? '' : ' hidden') + '><label for="' + o.choice_id + '">' +
      esc(o.choice_label) + '</label><select id="' + o.choice_id + '" name="' + o.choice_id +
      '">' + choices.join('') + '</select></div>';
  }).join('');
  return '<form id="checkout-form" class="panel" novalidate>' +
    '<div id="form-errors" hidden></div>' +
    '<fieldset><legend>Contact</legend>' + field('email', 'Email', 'type="email"') +
    field('name', 'Full name') + '</fieldset><fieldset><legend>Delivery address</legend>' +
    field('street', 'Street and house number') + '<div class="field-row">' +
    field('postcode', 'Postcode') + field('city', 'City') + '</div><div class="field">' +
    '<label for="country">Country</label><select id="country" name="country">' + countries +
    '</select></div></fieldset><fieldset class="delivery-options"><legend>Delivery method' +
    '</legend>' + delivery + '</fieldset><button id="continue-to-payment" ' +
    'data-testid="continue-to-payment" class="button button--primary button--wide" ' +
    'type="submit">Continue to payment</button></form>';
}

function wireCheckout() {
  var form = document.getElementById('checkout-form');
  form.querySelectorAll('input[name=delivery]').forEach(function (radio) {
    radio.addEventListener('change', function () {
      form.querySelectorAll('.delivery-choice').forEach(function (box) {
        box.hidden = box.dataset.for !== radio.value;
      });
    });
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var values = {};
    new FormData(form).forEach(function (value, key) { values[key] = value; });
    var button = document.getElementById('continue-to-payment');
    button.disabled = true;
    api('POST', '/checkout', values).then(function (data) {
      history.pushState({}, '', '/spa/payment');
      showPayment(data.payment);
    }).catch(function (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.status === 422) {
        var errors = error.body.errors || {};
        var box = document.getElementById('form-errors');
        box.className = 'error-summary';
        box.setAttribute('role', 'alert');
        box.innerHTML = '<h2>Please check your details</h2><ul>' +
          Object.keys(errors).map(function (k) { return '<li>' + esc(errors[k]) + '</li>'; })
            .join('') + '</ul>';
        box.hidden = false;
        return;
      }
      failed(error);
    });
  });
}

var paymentListener = null;

function showPayment(payment) {
  var extra = '<div class="summary-extra"><h3>Delivery</h3><p id="payment-delivery">' +
    esc(payment.details.delivery) + '</p></div>';
  document.title = 'Payment · Summit Outfitters';
  app.innerHTML = progress(1) + '<h1>Payment</h1><div class="two-column">' +
    '<section class="panel payment-panel"><h2>Pay by card</h2><p class="muted">Your card ' +
    'details go straight to our payment provider, DemoPay.</p>' +
    '<p id="payment-notice" class="alert" role="alert" hidden></p>' +
    '<iframe id="payment-frame" data-testid="payment-frame" name="payment-frame" ' +
    'title="Secure card payment" src="' + esc(payment.frame_url) + '"></iframe></section>' +
    summaryCard(payment.summary, 'summary', extra) + '</div>';
  var frame = document.getElementById('payment-frame');
  var providerOrigin = new URL(frame.src).origin;
  if (paymentListener) { window.removeEventListener('message', paymentListener); }
  paymentListener = function (event) {
    if (event.origin !== providerOrigin || !event.data || event.data.source !== 'demopay') {
      return;
    }
    if (event.data.type === 'resize') {
      frame.style.height = Math.ceil(event.data.height) + 'px';
    } else if (event.data.type === 'payment_succeeded') {
      api('POST', '/payment/complete', {payment_id: event.data.paymentId}).then(function (d) {
        setCartCount(0);
        navigate(d.order ? '/spa/order/' + d.order : '/spa/order/processing');
      }).catch(function (error) {
        if (error instanceof ApiError && error.status === 409) {
          var notice = document.getElementById('payment-notice');
          notice.textContent = error.body.error;
          notice.hidden = false;
          return;
        }
        failed(error);
      });
    }
  };
  window.addEventListener('message', paymentListener);
}

function route(path) {
  var parts = path.replace(/^\/spa\/?/, '').split('/');
  if (parts[0] === '') { return views.home(); }
  if (parts[0] === 'product' && parts[1]) { return views.product(parts[1]); }
  if (parts[0] === 'cart') { return views.cart(); }
  if (parts[0] === 'checkout') { return views.checkout(); }
  if (parts[0] === 'payment') { return views.payment(); }
  if (parts[0] === 'order' && parts[1] === 'processing') { return views.processing(); }
  if (parts[0] === 'order' && parts[1]) { return views.order(parts[1]); }
  return views.notFound();
}

function render() {
  appError.hidden = true;
  return route(location.pathname).then(function () { window.scrollTo(0, 0); })
    .catch(function (error) {
      if (error instanceof ApiError && error.status === 404) { return views.notFound(); }
      failed(error);
    });
}

function navigate(path) {
  history.pushState({}, '', path);
  return render();
}

document.addEventListener('click', function (event) {
  var link = event.target.closest && event.target.closest('a[data-route]');
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) {
    return;
  }
  event.preventDefault();
  navigate(link.getAttribute('href'));
});
window.addEventListener('popstate', render);
render();
